# Load ScoreSDE's weights into the reference PyTorch network of shared/bench/torch_ref.py.
import json

import torch
from safetensors import safe_open
from safetensors.torch import load_file  # or: from safetensors.numpy import load_file

from torch_ref import Net  # class Net(d, H, L, nf=16)

path = "score.safetensors"
tensors = load_file(path)
with safe_open(path, framework="pt") as f:
    config = json.loads(f.metadata()["score_sde.mlp.configuration"])
print(config)  # inputDimension, width, depth, activation, time embedding, ...


def torch_name(name):
    """ScoreSDE's tensor name -> the reference Net's state_dict key."""
    if name == "embedding.frequencies":
        return "W"
    _, l, kind = name.split(".")  # "layers.l.weight" or "layers.l.bias"
    return f"mlp.{2 * int(l)}.{kind}"


d, H, L = config["inputDimension"], config["width"], config["depth"]
net = Net(d, H, L)
net.load_state_dict({torch_name(k): v for k, v in tensors.items()})

# eps = net(x, t); the score is -eps / sigma(t), as in torch_ref.score(net, x, t).
x, t = torch.zeros(4, d), torch.full((4,), 0.5)
print(net(x, t))
