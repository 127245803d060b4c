#!/usr/bin/python3
"""PyTorch side of `pnpm bench`, adapted from shared/bench/torch_bench.py (same model: nn.LSTM /
nn.GRU seq-major + nn.Linear on out[-1] + MSELoss + optim.SGD(lr=0.01), zero_grad(set_to_none);
W3 under inference_mode; MM = torch.mm). Instead of timing itself it serves the Node harness so
the frameworks can alternate sample by sample:
   /usr/bin/python3 torch_server.py '<workload json>' [threads]
stdin lines: "run N" -> prints ms per step over N steps; "loss" -> one step, prints its loss;
"mem" -> prints the process's peak RSS so far (ru_maxrss, KiB on Linux); "quit". The first line
printed is a JSON header (version, BLAS actually loaded, threads)."""
import json, os, resource, sys, time

def loaded_blas():
    try:
        with open('/proc/self/maps') as f:
            libs = {l.split()[-1] for l in f if 'blas' in l.lower()}
        so = [os.path.realpath(x) for x in libs if '/libblas.so' in x or 'openblas' in x]
        return 'openblas' if any('openblas' in x for x in so) else ('refblas' if so else 'unknown')
    except Exception:
        return 'unknown'

def main():
    W = json.loads(sys.argv[1])
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    os.environ.setdefault('OPENBLAS_NUM_THREADS', str(threads))
    os.environ.setdefault('OMP_NUM_THREADS', str(threads))
    os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if W.get('op') == 'matmul':
        a = torch.randn(W['M'], W['K']); b = torch.randn(W['K'], W['N'])
        def step():
            torch.mm(a, b)
            return float('nan')
    else:
        I, H, B, T, O = W['I'], W['H'], W['B'], W['T'], W['O']
        rnn = (torch.nn.LSTM if W['cell'] == 'lstm' else torch.nn.GRU)(I, H)
        head = torch.nn.Linear(H, O)
        x = torch.randn(T, B, I); y = torch.randn(B, O)
        opt = torch.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=0.01)
        lossf = torch.nn.MSELoss()
        if W['mode'] == 'train':
            def step():
                opt.zero_grad(set_to_none=True)
                out, _ = rnn(x)
                loss = lossf(head(out[-1]), y)
                loss.backward()
                opt.step()
                return loss
        else:
            def step():
                with torch.inference_mode():
                    out, _ = rnn(x)
                    head(out[-1])
                return float('nan')
    print(json.dumps(dict(version=torch.__version__, blas=loaded_blas(), threads=threads)), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == 'quit':
            break
        if cmd[0] == 'run':
            n = int(cmd[1])
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            print((time.perf_counter() - t0) * 1e3 / n, flush=True)
        elif cmd[0] == 'loss':
            print(float(step()), flush=True)
        elif cmd[0] == 'mem':
            print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)

if __name__ == '__main__':
    main()
