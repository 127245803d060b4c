/**
 * `@carousel/autograd/testing`: tools to test differentiable code — `gradcheck` by central
 * differences in float64, `allclose`, and fast-check arbitraries for shapes and tensors.
 *
 * @packageDocumentation
 */
export { allclose, assertAllclose, type CloseOptions, type Comparable, closeMismatch } from './allclose.js';
export {
  broadcastPairArb,
  type ShapeConstraints,
  shapeArb,
  shapedTensorArb,
  tensorArb,
  type ValueConstraints,
  valuesArb,
} from './arbitraries.js';
export { GradcheckError, type GradcheckFn, type GradcheckOptions, gradcheck } from './gradcheck.js';
