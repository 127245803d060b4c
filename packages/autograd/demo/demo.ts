// The README's main job until the tasks package lands: fit y = sin(x) with a tiny MLP by
// gradient descent, using only @carousel/autograd, and print the loss as it falls.
import { linspace, noGrad, randn, setSeed, type Tensor, tidy, valueAndGrad, zeros } from '@carousel/autograd';

setSeed(0);
const x = linspace(-Math.PI, Math.PI, 64).reshape([64, 1]);
const y = x.sin();
let params: Tensor[] = [randn([1, 32]).mul(0.5), zeros([32]), randn([32, 1]).mul(0.2), zeros([1])];

const loss = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => x.matmul(w1).add(b1).tanh().matmul(w2).add(b2).sub(y).square().mean();
const step = valueAndGrad(loss, { argnums: [0, 1, 2, 3] });

for (let i = 0; i <= 2000; i++) {
  const next = tidy(() => {
    const [value, grads] = step(...(params as [Tensor, Tensor, Tensor, Tensor]));
    if (i % 250 === 0) console.log(`step ${String(i).padStart(4)}  mse ${value.item().toExponential(3)}`);
    return noGrad(() => params.map((p, k) => p.sub(grads[k]!.mul(0.05))));
  });
  for (const p of params) p.dispose();
  params = next;
}
