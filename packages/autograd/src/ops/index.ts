export * from './arithmetic.js';
export * from './composite.js';
export * from './creation.js';
export * from './indexing.js';
export * from './matmul.js';
export * from './movement.js';
export { cast, clone, detach, identity, where } from './pointwise.js';
export * from './reduce.js';
