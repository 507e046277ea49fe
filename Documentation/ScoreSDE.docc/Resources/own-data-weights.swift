let weights = folder.appendingPathComponent("score.safetensors")
try trainer.averagedNetwork.save(to: weights)  // F32 tensors with PyTorch's names and layouts
let (tensors, _) = try SafeTensors.read(from: weights, as: Float.self)
for tensor in tensors.entries { print(tensor.name, tensor.shape) }
