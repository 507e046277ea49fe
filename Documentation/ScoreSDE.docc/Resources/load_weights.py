# Load ScoreSDE's weights into the reference PyTorch network of shared/bench/torch_ref.py:
#   python3 load_weights.py score.safetensors
# (TutorialTests runs `load` below with numpy alone and checks the network's output.)
import json
import sys

from safetensors import safe_open
from safetensors.numpy import load_file  # numpy arrays (safetensors.torch.load_file: tensors)


def torch_name(name):
    """ScoreSDE's tensor name -> the reference Net's state_dict key."""
    if name == "embedding.frequencies":
        return "W"
    _, l, kind = name.split(".")  # "layers.l.weight" or "layers.l.bias"
    return f"mlp.{2 * int(l)}.{kind}"  # nn.Sequential(Linear, SiLU, Linear, SiLU, ..., Linear)


def load(path):
    """The reference Net's state_dict (numpy arrays) and ScoreSDE's network configuration."""
    with safe_open(path, framework="np") as f:
        config = json.loads(f.metadata()["score_sde.mlp.configuration"])
    return {torch_name(k): v for k, v in load_file(path).items()}, config


if __name__ == "__main__":
    import torch
    from torch_ref import Net  # class Net(d, H, L, nf=16)

    state, config = load(sys.argv[1] if len(sys.argv) > 1 else "score.safetensors")
    net = Net(config["inputDimension"], config["width"], config["depth"])
    net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    x, t = torch.zeros(4, config["inputDimension"]), torch.full((4,), 0.5)
    print(net(x, t))  # the predicted noise; the score is -eps / sigma(t), as torch_ref.score
