/**
 * `@carousel/nn`: modules, losses, optimizers and the recurrent zoo (in progress).
 *
 * @packageDocumentation
 */
export const version = '0.1.0';
