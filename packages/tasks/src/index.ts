/**
 * `@carousel/tasks`: the 1997 LSTM paper's experiments and the `carousel` CLI (in progress).
 *
 * @packageDocumentation
 */
export const version = '0.1.0';
