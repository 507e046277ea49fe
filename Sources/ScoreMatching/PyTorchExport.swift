import DiffusionProcesses
import Foundation
import ScoreNetworks

/// The Python source of a self-contained module that defines a ScoreSDE model's network as a
/// PyTorch `nn.Module` (and in plain NumPy), reads and writes ScoreSDE model files, and trains the
/// network further with ScoreSDE's denoising score-matching loss: the road from a model trained
/// here to GPU-scale training (`DistributedDataParallel`) and back to `score-sde sample` / `nll`.
///
/// The module (``moduleSource(for:weightsFileName:)``, written by `score-sde export --pytorch`)
/// holds, in one file that needs only `numpy` (and `torch` for the module half):
///
/// - `load(path)`: the network of a model file as an `nn.Module` whose `state_dict` names and
///   shapes are the file's tensors (``MLP``: `layers.l.weight`, `layers.l.norm.weight`,
///   `embedding.frequencies`; ``ResidualMLP``: `input`, `embedding`, `blocks.b.film` /
///   `linear1` / `linear2`, `output`, `time.frequencies`), with the rest of the file as
///   `net.info` (process, parameterisation, standardisers, condition encoding, metadata);
/// - `save(net, path, like=original)`: the weights back in ScoreSDE's format, in the original's
///   tensor order and dtypes, with its metadata and a fresh CRC-32
///   (``SafeTensors/checksumMetadataKey``), written atomically;
/// - `score(net, x, t, c)`: `∇ₓ log p_t(x) = c_out(t)·f + c_x(t)·(x − shift(t))` from the
///   network output `f` (``Parameterization/scoreCoefficients(scale:standardDeviation:)``), with
///   EDM's input conditioning (``Parameterization/networkInput(at:scale:standardDeviation:shift:)``);
/// - `dsm_loss` and `train`: the loss `mean_rows ‖σ(t)·s_θ(x_t, t) + z‖²` with `t ~ U[ε, T]`
///   (``LossWeighting/noise``, λ = σ²; Song et al. 2021, eq. 7; Ho et al. 2020's "simple" loss for
///   ε-prediction) and a minimal Adam + EMA loop that also runs under DDP;
/// - `forward_numpy`, `score_numpy`, `dsm_loss_numpy`, and a dependency-free safetensors reader
///   and writer.
///
/// The module's docstring also describes the exported model: its network, process,
/// parameterisation (what the output means and how the score follows), conditions and units.
///
/// ```swift
/// let model = try TrainedModel<MLP<Float>>.load(from: url)
/// let python = try PyTorchExport.moduleSource(for: model)
/// ```
public enum PyTorchExport {
  /// `scoresde_model.py`, the module's file name.
  public static let moduleFileName = "scoresde_model.py"

  /// `model.safetensors`, the name of the copy of the model file beside the module.
  public static let weightsFileName = "model.safetensors"

  /// The architectures the module defines: `mlp` (``MLP``) and `resmlp` (``ResidualMLP``).
  public static let supportedArchitectures = ["mlp", "resmlp"]

  /// The module's source for a model whose file is copied beside it as `weightsFileName`.
  ///
  /// - Parameters:
  ///   - model: the model (only its description and configuration are read).
  ///   - weightsFileName: the model file's name beside the module, the default of `load()`:
  ///     letters, digits, `.`, `_` and `-` only.
  /// - Returns: the Python source, UTF-8 text.
  /// - Throws: ``PyTorchExportError/unsupportedArchitecture(_:)`` for a network other than
  ///   ``MLP`` and ``ResidualMLP``; ``PyTorchExportError/invalidFileName(_:)``.
  public static func moduleSource<Network: ScoreNetwork>(
    for model: TrainedModel<Network>, weightsFileName: String = weightsFileName
  ) throws(PyTorchExportError) -> String {
    let architecture = Network.architectureName
    guard supportedArchitectures.contains(architecture) else { throw .unsupportedArchitecture(architecture) }
    guard model.process.hasIsotropicKernel else { throw .unsupportedProcess(model.process.name) }
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    guard !weightsFileName.isEmpty, weightsFileName.allSatisfy(allowed.contains),
      !weightsFileName.hasPrefix(".")
    else { throw .invalidFileName(weightsFileName) }
    return
      template
      .replacingOccurrences(
        of: "@@MODEL_SUMMARY@@", with: summary(of: model, weightsFileName: weightsFileName)
      )
      .replacingOccurrences(of: "@@WEIGHTS_FILE@@", with: weightsFileName)
  }

  /// The paragraph of the module's docstring that describes `model`.
  static func summary<Network: ScoreNetwork>(
    of model: TrainedModel<Network>, weightsFileName: String
  ) -> String {
    let configuration = model.network.metadata[Network.configurationMetadataKey] ?? "{}"
    let meaning: String
    switch model.parameterization {
    case .score: meaning = "the score itself, grad_x log p_t(x) = f"
    case .noise: meaning = "the noise z that was added (epsilon-prediction): score = -f / s(t)"
    case .data: meaning = "the clean data x_0: score = (a(t) f - (x - shift(t))) / s(t)^2"
    case .edm(let sigmaData):
      meaning = "EDM's preconditioned output F with sigma_data = \(sigmaData) (see below)"
    }
    let encoding = model.conditionEncoding
    let conditions =
      encoding.dimension == 0
      ? "none (an unconditional model)"
      : "\(encoding.dimension) per row"
        + (encoding.hasMaskColumn
          ? ", plus a mask column (trained with condition dropout: [0 ... 0 | 0] is unconditional)"
          : ", no mask column (no unconditional branch)")
    let lines = [
      "This module was exported from a ScoreSDE model (a copy of the file is \(weightsFileName)):",
      "",
      "- network: \(Network.architectureName) \(configuration)",
      "- process: \(model.process)",
      "- parameterisation: \(model.parameterization.fileName): the network predicts \(meaning)",
      "- conditions: \(conditions)",
      "- units: "
        + (model.standardizer == nil
          ? "the data as given (no standardiser)" : "standardised data columns (mu and sigma in the file)"),
      "- trained: \(model.training.steps) steps, seed \(model.training.seed)",
    ]
    return lines.joined(separator: "\n")
  }
}

/// Why a model cannot be exported as a Python module.
public enum PyTorchExportError: Error, Equatable, CustomStringConvertible {
  /// The network is neither `mlp` nor `resmlp`: the module has no definition for it.
  case unsupportedArchitecture(String)
  /// The weights file name would not be a plain file name in a Python string literal.
  case invalidFileName(String)
  /// The process has a matrix kernel (`linear`, `cld`), which the module's scalar
  /// `score_coefficients` cannot express.
  case unsupportedProcess(String)

  /// What went wrong, in one sentence.
  public var description: String {
    switch self {
    case .unsupportedArchitecture(let name):
      return "the model's network is '\(name)'; the PyTorch export defines "
        + PyTorchExport.supportedArchitectures.joined(separator: " and ")
    case .invalidFileName(let name):
      return "'\(name)' is not a plain file name (letters, digits, '.', '_', '-', not starting with '.')"
    case .unsupportedProcess(let name):
      return
        "the model's process is '\(name)', a matrix kernel; the PyTorch export writes the scalar kernels "
        + "(vp, cosine, subvp, ve, ou)"
    }
  }
}

extension PyTorchExport {
  /// The module, with `@@MODEL_SUMMARY@@` and `@@WEIGHTS_FILE@@` to fill in.
  static let template = #"""
    r"""A ScoreSDE score model as a PyTorch module (and as plain NumPy), written by `score-sde export`.

    @@MODEL_SUMMARY@@

    What is here
    ------------
    - ``load(path)`` reads a ScoreSDE model file (safetensors: tensors plus ``score_sde.*`` metadata)
      and returns the network as a ``torch.nn.Module`` whose ``state_dict`` names and shapes are
      exactly the file's tensors; ``net.info`` is a ``ModelInfo`` with everything else (process,
      parameterisation, standardisation, condition encoding, the file's metadata).
    - ``net(x, t, c=None)`` is the raw network output ``f(x, t, c)`` for ``n x d`` points, ``n`` times
      (or one for all rows) and ``n x k`` network conditions.
    - ``score(net, x, t, c=None)`` is the score ``grad_x log p_t(x)`` the model implies (see below).
    - ``dsm_loss(net, x0, ...)`` is ScoreSDE's denoising score-matching loss, ``train(...)`` a minimal
      training loop (Adam, exponential moving average, DDP-aware), and ``save(net, path, like=...)``
      writes the weights back in ScoreSDE's format with the original metadata, so that
      ``score-sde sample`` and ``score-sde nll`` read the result.
    - ``load_numpy``, ``forward_numpy``, ``score_numpy`` and ``dsm_loss_numpy`` do the same in float64
      NumPy, without torch; ``read_safetensors`` / ``write_safetensors`` are a dependency-free
      implementation of the file format (8-byte little-endian header length, JSON header, raw
      little-endian row-major data) that also keeps ScoreSDE's CRC-32 (``score_sde.crc32``,
      ``zlib.crc32`` of the data section) up to date.

    Only numpy is required; torch is needed for the ``nn.Module`` side.

    Units
    -----
    The network works in standardised units: ``z = (x - mu) / sigma`` per data column (and likewise for
    conditions) when the model file has a standardiser; ``info.to_model_units`` /
    ``info.to_data_units`` convert. Conditions enter the network as ``[c_1 ... c_k | 1]`` when the model
    was trained with condition dropout (a mask column; ``[0 ... 0 | 0]`` is the unconditional branch),
    else as ``[c_1 ... c_k]`` (``info.encode_conditions``).

    What the output means
    ---------------------
    The forward process has Gaussian kernels ``x_t = a(t) x_0 + shift(t) + s(t) z``, ``z ~ N(0, I)``
    (``info.marginal(t)`` gives ``(a, s, shift)``), and the parameterisation says what the network
    predicts:

    - ``score``: ``f`` is the score itself, ``grad log p_t(x) = f``.
    - ``noise``: ``f`` predicts ``z`` (epsilon-prediction), ``score = -f / s``.
    - ``data``: ``f`` predicts ``x_0``, ``score = (a f - (x - shift)) / s**2``.
    - ``edm`` (``edm:sigma_data``): Karras et al. (2022) preconditioning in ``x~ = (x - shift) / a`` at
      ``sigma~ = s / a``: the network is fed ``c_in x~`` and the time ``c_noise = log(sigma~) / 4``, and
      ``x0_hat = c_skip x~ + c_out f`` with ``c_skip = sd^2 / (sigma~^2 + sd^2)``,
      ``c_out = sigma~ sd / sqrt(sigma~^2 + sd^2)``, ``c_in = 1 / sqrt(sigma~^2 + sd^2)``; then
      ``score = (a x0_hat - (x - shift)) / s**2``.

    In every case ``score = c_out(t) f + c_x(t) (x - shift(t))`` (``info.score_coefficients``);
    ``score(net, ...)`` applies the input conditioning and this conversion.

    The loss
    --------
    ``dsm_loss`` is ScoreSDE's default objective (Song et al. 2021, eq. 7, with lambda = s^2; the
    "simple" loss of Ho et al. 2020 for epsilon-prediction):
    ``t ~ U[eps, T]``, ``z ~ N(0, I)``, ``x_t = a x_0 + shift + s z`` and
    ``L = mean_rows sum_cols (s * score(x_t, t) + z)**2``, i.e. ``|eps_hat - z|^2`` for the noise
    parameterisation. It is measured on the implied score whatever the parameterisation, as in
    ScoreSDE (its other weightings and time proposals are not reproduced here).
    """

    import copy
    import json
    import math
    import os
    import struct
    import tempfile
    import zlib

    import numpy as np

    try:
        import torch
        import torch.nn.functional as F
        from torch import nn
    except ImportError:  # the NumPy half works without torch
        torch = None

    WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "@@WEIGHTS_FILE@@")
    """The model file exported beside this module."""

    CHECKSUM_KEY = "score_sde.crc32"
    ARCHITECTURE_KEY = "score_sde.network.architecture"
    LAYER_NORM_EPSILON = 1e-5
    _DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}

    # ----------------------------------------------------------------------------- safetensors

    def read_safetensors(path):
        """(tensors, metadata) of a safetensors file: an ordered dict name -> numpy array (file
        order) and the ``__metadata__`` without the checksum entry, which is verified if present."""
        with open(path, "rb") as f:
            raw = f.read()
        if len(raw) < 8:
            raise ValueError(f"{path}: {len(raw)} bytes, too short for a safetensors file")
        (n,) = struct.unpack("<Q", raw[:8])
        if n > len(raw) - 8:
            raise ValueError(f"{path}: header of {n} bytes but only {len(raw) - 8} bytes follow")
        try:
            header = json.loads(raw[8 : 8 + n].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ValueError(f"{path}: the header is not JSON ({error})") from None
        if not isinstance(header, dict):
            raise ValueError(f"{path}: the header is not a JSON object")
        metadata = dict(header.pop("__metadata__", None) or {})
        data = raw[8 + n :]
        stored = metadata.pop(CHECKSUM_KEY, None)
        if stored is not None and int(stored, 16) != zlib.crc32(data):
            raise ValueError(
                f"{path}: the tensor data do not match their CRC-32 {stored} "
                f"(found {zlib.crc32(data):08x}): the file was damaged")
        tensors = {}
        for name, entry in sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"])):
            dtype = _DTYPES.get(entry.get("dtype"))
            if dtype is None:
                raise ValueError(f"{path}: tensor {name} has dtype {entry.get('dtype')}, not F32/F64")
            begin, end = entry["data_offsets"]
            shape = [int(s) for s in entry["shape"]]
            count = int(np.prod(shape, dtype=np.int64))
            if not 0 <= begin <= end <= len(data) or end - begin != count * dtype.itemsize:
                raise ValueError(f"{path}: tensor {name} has offsets {begin}...{end} for shape {shape}")
            values = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape)
            tensors[name] = values.astype(dtype.newbyteorder("="))
        return tensors, metadata

    def write_safetensors(path, tensors, metadata):
        """Writes an ordered dict name -> float32/float64 array and string metadata as safetensors,
        with the data's CRC-32 under ``score_sde.crc32``, atomically (a temporary file beside
        ``path``, renamed into place: an interrupted write leaves the old file or none)."""
        header, chunks, offset = {}, [], 0
        for name, array in tensors.items():
            array = np.asarray(array)
            tag = {np.dtype("float32"): "F32", np.dtype("float64"): "F64"}.get(array.dtype)
            if tag is None:
                raise ValueError(f"tensor {name} is {array.dtype}; ScoreSDE reads float32 or float64")
            data = np.ascontiguousarray(array, dtype=_DTYPES[tag]).tobytes()
            header[name] = {
                "data_offsets": [offset, offset + len(data)], "dtype": tag, "shape": list(array.shape)
            }
            chunks.append(data)
            offset += len(data)
        data = b"".join(chunks)
        header["__metadata__"] = dict(metadata, **{CHECKSUM_KEY: f"{zlib.crc32(data):08x}"})
        text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        text = text.encode("utf-8")
        text += b" " * (-(8 + len(text)) % 8)
        folder = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path):
            raise IsADirectoryError(f"{path} is a directory")
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".")
        try:
            with os.fdopen(descriptor, "wb") as f:
                f.write(struct.pack("<Q", len(text)))
                f.write(text)
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if os.path.exists(path):
                os.chmod(temporary, os.stat(path).st_mode & 0o7777)
            else:
                os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise

    # ----------------------------------------------------------------------------- the model file

    class ModelInfo:
        """Everything in a ScoreSDE model file besides the weights: the network's architecture and
        configuration, the forward process, the parameterisation, the standardisations and the
        condition encoding, and the file's tensor layout (names, shapes, dtypes) for ``save``."""

        def __init__(self, metadata, layout):
            self.metadata = dict(metadata)
            self.layout = list(layout)  # [(name, shape, dtype)] in file order
            self.architecture = metadata.get(ARCHITECTURE_KEY, "mlp")
            key = f"score_sde.{self.architecture}.configuration"
            if self.architecture not in ("mlp", "resmlp"):
                raise ValueError(f"the network is '{self.architecture}'; this module knows mlp, resmlp")
            self.configuration = json.loads(_required(metadata, key))
            self.process = json.loads(_required(metadata, "score_sde.model.process"))
            self.parameterization = _required(metadata, "score_sde.model.parameterization")
            self.sigma_data = None
            if self.parameterization.startswith("edm"):
                edm = self.parameterization
                self.sigma_data = float(edm[4:]) if ":" in edm else 1.0
            elif self.parameterization not in ("score", "noise", "data"):
                raise ValueError(f"unknown parameterisation '{self.parameterization}'")
            encoding = json.loads(metadata.get("score_sde.model.condition_encoding", "{}"))
            self.condition_dimension = int(encoding.get("dimension", 0))
            self.has_mask_column = bool(encoding.get("hasMaskColumn", False))
            self.standardizer = _standardizer(metadata.get("score_sde.model.standardizer"))
            self.condition_standardizer = _standardizer(
                metadata.get("score_sde.model.condition_standardizer"))
            self.training = json.loads(metadata.get("score_sde.model.training", "{}"))
            configuration = (self.training.get("configuration") or {})
            loss = configuration.get("loss") or {}
            self.small_time_cutoff = float(loss.get("smallTimeCutoff", 1e-5))
            self.condition_dropout = float(configuration.get("conditionDropout", 0.0))
            self.end_time = float(self.process.get("endTime", 1.0))

        @staticmethod
        def from_file(path):
            """The ``ModelInfo`` of a model file."""
            tensors, metadata = read_safetensors(path)
            return ModelInfo(metadata, [(k, list(v.shape), v.dtype) for k, v in tensors.items()])

        # -- units and conditions

        def to_model_units(self, x):
            """``(x - mu) / sigma`` per column (the identity without a standardiser)."""
            x = np.asarray(x, dtype=np.float64)
            return x if self.standardizer is None else (x - self.standardizer[0]) / self.standardizer[1]

        def to_data_units(self, z):
            """``mu + sigma z`` per column, the inverse of ``to_model_units``."""
            z = np.asarray(z, dtype=np.float64)
            return z if self.standardizer is None else self.standardizer[0] + self.standardizer[1] * z

        def encode_conditions(self, c):
            """Conditions in data units (``n x k``) as the network takes them: standardised, with the
            mask column of 1 when the model has one; ``None`` gives the unconditional branch (zeros)
            of a model with a mask column, or ``None`` for an unconditional model."""
            k = self.condition_dimension
            if k == 0:
                if c is not None:
                    raise ValueError("the model is unconditional; give no conditions")
                return None
            if c is None:
                if not self.has_mask_column:
                    raise ValueError("the model was trained without condition dropout: give a condition")
                return None
            c = np.asarray(c, dtype=np.float64).reshape(-1, k)
            if self.condition_standardizer is not None:
                c = (c - self.condition_standardizer[0]) / self.condition_standardizer[1]
            if self.has_mask_column:
                c = np.concatenate([c, np.ones((c.shape[0], 1))], 1)
            return c

        @property
        def network_condition_columns(self):
            """``k``, plus one for the mask column."""
            return self.condition_dimension + (1 if self.has_mask_column else 0)

        # -- the process

        def marginal(self, t):
            """``(a(t), s(t), shift(t))`` of the kernel ``x_t = a x_0 + shift + s z``, for a numpy
            array or a torch tensor of times (the same formulas as ScoreSDE's processes)."""
            xp = _backend(t)
            kind = self.process["kind"]
            name, parameters = next(iter(kind.items()))
            if name in ("vp", "subVP"):
                b = _integrated_beta(xp, parameters["schedule"], t)
                a = xp.exp(-b / 2)
                s = xp.sqrt(-xp.expm1(-b)) if name == "vp" else -xp.expm1(-b)
                return a, s, 0 * t
            if name == "ve":
                lo, hi = parameters["sigmaMin"], parameters["sigmaMax"]
                s = lo * xp.sqrt(xp.expm1(2 * t * math.log(hi / lo)))
                return 1 + 0 * t, s, 0 * t
            if name == "ornsteinUhlenbeck":
                theta, mean, sigma = parameters["theta"], parameters["mean"], parameters["sigma"]
                a = xp.exp(-theta * t)
                s = xp.sqrt(sigma * sigma / (2 * theta) * -xp.expm1(-2 * theta * t))
                return a, s, -mean * xp.expm1(-theta * t)
            raise ValueError(f"unknown process {name}")

        def score_coefficients(self, a, s):
            """``(c_out, c_x)`` with ``score = c_out f + c_x (x - shift)`` for network output ``f``."""
            p = self.parameterization
            if p == "score":
                return 1 + 0 * s, 0 * s
            if p == "noise":
                return -1 / s, 0 * s
            if p == "data":
                return a / (s * s), -1 / (s * s)
            sd = self.sigma_data
            sigma = s / a
            norm2 = sigma * sigma + sd * sd
            c_out = sigma * sd / norm2 ** 0.5
            return a * c_out / (s * s), -(sigma * sigma / norm2) / (s * s)

        def network_input(self, a, s, shift, t):
            """``(c, offset, tau)``: the network sees ``c x + offset`` at time ``tau`` (the identity
            and ``t`` except for EDM: ``c_in (x - shift) / a`` at ``log(s / a) / 4``)."""
            if self.sigma_data is None:
                return 1 + 0 * t, 0 * t, t
            xp = _backend(t)
            sigma = s / a
            c_in = 1 / (sigma * sigma + self.sigma_data ** 2) ** 0.5
            return c_in / a, -c_in * shift / a, xp.log(sigma) / 4

    def _required(metadata, key):
        if key not in metadata:
            raise ValueError(f"the file has no metadata '{key}': is it a model from score-sde train?")
        return metadata[key]

    def _standardizer(text):
        if text is None:
            return None
        s = json.loads(text)
        means, deviations = s["means"], s["standardDeviations"]
        return np.asarray(means, dtype=np.float64), np.asarray(deviations, dtype=np.float64)

    def _backend(t):
        return torch if torch is not None and isinstance(t, torch.Tensor) else np

    def _integrated_beta(xp, schedule, t):
        """``B(t) = int_0^t beta``: linear ``beta_min t + (beta_max - beta_min) t^2 / 2``, or the
        clipped cosine schedule of Nichol & Dhariwal (2021) as ScoreSDE's ``CosineNoiseSchedule``."""
        name, p = next(iter(schedule.items()))
        if name == "linear":
            b0, b1 = p["betaMin"], p["betaMax"]
            return t * (b0 + (b1 - b0) * t / 2)
        offset, beta_max = p["offset"], p["maximumBeta"]
        knee = math.atan(beta_max * (1 + offset) / math.pi) * 2 * (1 + offset) / math.pi - offset
        hi = xp.where(t < knee, t, knee * (1 + 0 * t))
        delta = hi / (1 + offset) * math.pi / 2
        half = xp.sin(delta / 2)
        tan0 = math.tan(offset / (1 + offset) * math.pi / 2)
        ratio_minus_one = -2 * half * half - tan0 * xp.sin(delta)
        smooth = -2 * xp.log1p(ratio_minus_one)
        return smooth + beta_max * (xp.where(t > knee, t, knee * (1 + 0 * t)) - knee)

    # ----------------------------------------------------------------------------- NumPy

    def load_numpy(path=WEIGHTS):
        """(tensors as float64 arrays, ``ModelInfo``) of a model file."""
        tensors, metadata = read_safetensors(path)
        info = ModelInfo(metadata, [(k, list(v.shape), v.dtype) for k, v in tensors.items()])
        return {k: v.astype(np.float64) for k, v in tensors.items()}, info

    _ERF = np.vectorize(math.erf, otypes=[np.float64])
    _NUMPY_ACTIVATIONS = {
        "identity": lambda z: z,
        "relu": lambda z: np.maximum(z, 0),
        "tanh": np.tanh,
        "silu": lambda z: z * 0.5 * (1 + np.tanh(z / 2)),
        "gelu": lambda z: z * 0.5 * (1 + _ERF(z / math.sqrt(2))),
        "softplus": lambda z: np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))),
    }

    def _times_numpy(t, n):
        t = np.asarray(t, dtype=np.float64).reshape(-1)
        return np.full(n, t[0]) if t.size == 1 else t

    def _sinusoidal_frequencies(p):
        h = p["dimension"] // 2
        step = math.log(p["maximumPeriod"]) / (h - 1)
        return p["timeScale"] * np.exp(-step * np.arange(h, dtype=np.float64))

    def _time_features_numpy(kind, frequencies, t):
        if "gaussianFourier" in kind:
            theta = (t[:, None] * frequencies[None, :]) * 2 * math.pi
        else:
            theta = t[:, None] * _sinusoidal_frequencies(kind["sinusoidal"])[None, :]
        return np.concatenate([np.sin(theta), np.cos(theta)], 1)

    def _layer_norm_numpy(z):
        centred = z - z.mean(1, keepdims=True)
        return centred / np.sqrt((centred ** 2).mean(1, keepdims=True) + LAYER_NORM_EPSILON)

    def forward_numpy(tensors, info, x, t, c=None):
        """The network output ``f(x, t, c)`` in float64: ``x`` is ``n x d``, ``t`` ``n`` times or one,
        ``c`` the ``n x k`` network conditions (``info.encode_conditions``) or ``None``."""
        x = np.asarray(x, dtype=np.float64)
        n = x.shape[0]
        t = _times_numpy(t, n)
        cfg = info.configuration
        act = _NUMPY_ACTIVATIONS[cfg["activation"]]
        k = cfg["conditionDimension"]
        cond = []
        if k > 0:
            cond = [np.zeros((n, k)) if c is None else np.asarray(c, dtype=np.float64).reshape(n, k)]
        lin = lambda name, v: v @ tensors[name + ".weight"].T + tensors[name + ".bias"]
        if info.architecture == "mlp":
            gamma = _time_features_numpy(cfg["timeEmbedding"], tensors.get("embedding.frequencies"), t)
            h = np.concatenate([x, gamma] + cond, 1)
            depth = cfg["depth"]
            for l in range(depth):
                z = lin(f"layers.{l}", h)
                if cfg["layerNorm"]:
                    gain, offset = tensors[f"layers.{l}.norm.weight"], tensors[f"layers.{l}.norm.bias"]
                    z = _layer_norm_numpy(z) * gain + offset
                a = act(z)
                h = h + a if cfg["residual"] and l > 0 else a
            return lin(f"layers.{depth}", h)
        gamma = _time_features_numpy(cfg["timeEmbedding"], tensors.get("time.frequencies"), t)
        e = np.concatenate([gamma] + cond, 1)
        m = act(lin("embedding", e))
        h = lin("input", x)
        width = h.shape[1]
        for b in range(cfg["blocks"]):
            film = lin(f"blocks.{b}.film", m)
            v = _layer_norm_numpy(h) * (1 + film[:, :width]) + film[:, width:]
            h = h + lin(f"blocks.{b}.linear2", act(lin(f"blocks.{b}.linear1", act(v))))
        return lin("output", _layer_norm_numpy(h))

    def score_numpy(tensors, info, x, t, c=None):
        """The score ``grad_x log p_t(x)`` in model units implied by the network (float64)."""
        x = np.asarray(x, dtype=np.float64)
        t = _times_numpy(t, x.shape[0])
        return _score(lambda u, tau, cc: forward_numpy(tensors, info, u, tau, cc), info, x, t, c)

    def dsm_loss_numpy(tensors, info, x0, t, z, c=None):
        """The denoising score-matching loss (see the module's docstring) at given times and noise."""
        x0, t, z = (np.asarray(v, dtype=np.float64) for v in (x0, t, z))
        return _dsm_loss(lambda u, tau, cc: forward_numpy(tensors, info, u, tau, cc), info, x0, t, z, c)

    def _score(network, info, x, t, c):
        a, s, shift = info.marginal(t)
        scale, offset, tau = info.network_input(a, s, shift, t)
        f = network(scale[:, None] * x + offset[:, None], tau, c)
        c_out, c_x = info.score_coefficients(a, s)
        return c_out[:, None] * f + c_x[:, None] * (x - shift[:, None])

    def _dsm_loss(network, info, x0, t, z, c):
        a, s, shift = info.marginal(t)
        x = a[:, None] * x0 + shift[:, None] + s[:, None] * z
        residual = s[:, None] * _score(network, info, x, t, c) + z
        return (residual ** 2).sum(1).mean()

    # ----------------------------------------------------------------------------- PyTorch

    if torch is not None:

        def _activation(name):
            return {
                "identity": lambda z: z,
                "relu": torch.relu,
                "tanh": torch.tanh,
                "silu": F.silu,
                "gelu": F.gelu,
                "softplus": lambda z: torch.clamp(z, min=0) + torch.log1p(torch.exp(-z.abs())),
            }[name]

        class FourierFeatures(nn.Module):
            """``[sin(2 pi t W), cos(2 pi t W)]`` with fixed frequencies ``W`` (a buffer)."""

            def __init__(self, count):
                super().__init__()
                self.register_buffer("frequencies", torch.zeros(count))

            def forward(self, t):
                theta = (t[:, None] * self.frequencies[None, :]) * 2 * math.pi
                return torch.cat([torch.sin(theta), torch.cos(theta)], 1)

        class SinusoidalFeatures(nn.Module):
            """Transformer sinusoids of the time (nothing trained or stored)."""

            def __init__(self, parameters):
                super().__init__()
                w = torch.from_numpy(_sinusoidal_frequencies(parameters))
                self.register_buffer("angular_frequencies", w, persistent=False)

            def forward(self, t):
                theta = t[:, None] * self.angular_frequencies[None, :]
                return torch.cat([torch.sin(theta), torch.cos(theta)], 1)

        def _time_embedding(kind):
            if "gaussianFourier" in kind:
                m = kind["gaussianFourier"]["frequencies"]
                return FourierFeatures(m), 2 * m
            return SinusoidalFeatures(kind["sinusoidal"]), kind["sinusoidal"]["dimension"]

        def _zeros(x, k):
            return torch.zeros(x.shape[0], k, dtype=x.dtype, device=x.device)

        def _times(t, x):
            t = torch.as_tensor(t, dtype=x.dtype, device=x.device).reshape(-1)
            return t.expand(x.shape[0]) if t.numel() == 1 else t

        class _Layer(nn.Linear):
            """An ``nn.Linear`` with, optionally, the ``nn.LayerNorm`` that follows it (``norm``)."""

            def __init__(self, fan_in, fan_out, norm):
                super().__init__(fan_in, fan_out)
                if norm:
                    self.norm = nn.LayerNorm(fan_out, eps=LAYER_NORM_EPSILON)

            def forward(self, h):
                z = super().forward(h)
                return self.norm(z) if hasattr(self, "norm") else z

        class MLPNetwork(nn.Module):
            """ScoreSDE's ``MLP``: ``[x | gamma(t) | c]`` through ``depth`` layers
            ``sigma(N(h W^T + b))`` (``+ h`` for layers 2... when residual; ``N`` LayerNorm when
            layerNorm), then a linear map."""

            def __init__(self, configuration):
                super().__init__()
                cfg = self.configuration = configuration
                self.embedding, e = _time_embedding(cfg["timeEmbedding"])
                d, k, width = cfg["inputDimension"], cfg["conditionDimension"], cfg["width"]
                fan_in, layers = d + e + k, []
                for _ in range(cfg["depth"]):
                    layers.append(_Layer(fan_in, width, cfg["layerNorm"]))
                    fan_in = width
                layers.append(_Layer(width, d, False))
                self.layers = nn.ModuleList(layers)
                self.act = _activation(cfg["activation"])

            def forward(self, x, t, c=None):
                t = _times(t, x)
                k = self.configuration["conditionDimension"]
                parts = [x, self.embedding(t)]
                if k > 0:
                    parts.append(_zeros(x, k) if c is None else c)
                h = torch.cat(parts, 1)
                for l, layer in enumerate(self.layers[:-1]):
                    a = self.act(layer(h))
                    h = h + a if self.configuration["residual"] and l > 0 else a
                return self.layers[-1](h)

        class _Block(nn.Module):
            def __init__(self, width):
                super().__init__()
                self.film = nn.Linear(width, 2 * width)
                self.linear1 = nn.Linear(width, width)
                self.linear2 = nn.Linear(width, width)

        class ResidualMLPNetwork(nn.Module):
            """ScoreSDE's ``ResidualMLP``: ``m = sigma(e W_emb^T + b)`` with ``e = [gamma(t) | c]``,
            ``h_0 = x W_in^T + b``, per block ``[s | beta] = film(m)``,
            ``h += linear2(sigma(linear1(sigma(LN(h) (1 + s) + beta))))``, ``out = output(LN(h_B))``."""

            def __init__(self, configuration):
                super().__init__()
                cfg = self.configuration = configuration
                d, k, width = cfg["inputDimension"], cfg["conditionDimension"], cfg["width"]
                self.time, e = _time_embedding(cfg["timeEmbedding"])
                self.input = nn.Linear(d, width)
                self.embedding = nn.Linear(e + k, width)
                self.blocks = nn.ModuleList(_Block(width) for _ in range(cfg["blocks"]))
                self.output = nn.Linear(width, d)
                self.act = _activation(cfg["activation"])

            def forward(self, x, t, c=None):
                t = _times(t, x)
                k = self.configuration["conditionDimension"]
                parts = [self.time(t)]
                if k > 0:
                    parts.append(_zeros(x, k) if c is None else c)
                m = self.act(self.embedding(torch.cat(parts, 1)))
                h = self.input(x)
                width = h.shape[1]
                for block in self.blocks:
                    film = block.film(m)
                    u = F.layer_norm(h, (width,), eps=LAYER_NORM_EPSILON)
                    v = u * (1 + film[:, :width]) + film[:, width:]
                    h = h + block.linear2(self.act(block.linear1(self.act(v))))
                return self.output(F.layer_norm(h, (width,), eps=LAYER_NORM_EPSILON))

        def load(path=WEIGHTS, dtype=None, device=None):
            """The network of a ScoreSDE model file as an ``nn.Module`` (float32 unless ``dtype``),
            with its ``ModelInfo`` as ``net.info``."""
            tensors, metadata = read_safetensors(path)
            info = ModelInfo(metadata, [(k, list(v.shape), v.dtype) for k, v in tensors.items()])
            cls = MLPNetwork if info.architecture == "mlp" else ResidualMLPNetwork
            # In the target precision first, so that F64 weights are not rounded through float32.
            net = cls(info.configuration).to(dtype=dtype or torch.float32, device=device)
            state = {k: torch.from_numpy(np.array(v, dtype=np.float64)) for k, v in tensors.items()}
            missing, unexpected = net.load_state_dict(state, strict=False)
            if missing or unexpected:
                raise ValueError(f"{path}: tensors missing {missing}, unexpected {unexpected}")
            net.info = info
            return net

        def _unwrap(net):
            return getattr(net, "module", net)  # DistributedDataParallel keeps the network in .module

        def _info(net, info):
            return info if info is not None else _unwrap(net).info

        def score(net, x, t, c=None, info=None):
            """The score in model units: ``c_out(t) f(c x + offset, tau, c) + c_x(t) (x - shift)``."""
            info = _info(net, info)
            return _score(net, info, x, _times(t, x), c)

        def dsm_loss(net, x0, c=None, generator=None, info=None, condition_dropout=0.0):
            """ScoreSDE's DSM loss on a batch of clean data ``x0`` (model units) with fresh
            ``t ~ U[eps, T]`` and ``z ~ N(0, I)``; with ``condition_dropout > 0`` each row's
            conditions are replaced by the unconditional token with that probability."""
            info = _info(net, info)
            n = x0.shape[0]
            options = {"dtype": x0.dtype, "device": x0.device, "generator": generator}
            eps = info.small_time_cutoff
            t = eps + (info.end_time - eps) * torch.rand(n, **options)
            z = torch.randn(x0.shape, **options)
            if c is not None and condition_dropout > 0:
                keep = torch.rand(n, **options) >= condition_dropout
                c = c * keep[:, None].to(c.dtype)
            return _dsm_loss(net, info, x0, t, z, c)

        def train(net, data, conditions=None, steps=1000, batch_size=512, learning_rate=1e-3,
                  ema_decay=0.999, condition_dropout=None, seed=0, info=None, log_every=0):
            """A minimal training loop: Adam on ``dsm_loss`` over random batches of ``data`` (data
            units, ``n x d``; ``conditions`` ``n x k`` in data units), keeping an exponential moving
            average of the weights (as ScoreSDE's files hold). ``net`` may be wrapped in
            ``DistributedDataParallel`` (each rank then draws its own batches). Returns the averaged
            network (or the network itself when ``ema_decay`` is ``None``), ready for ``save``."""
            info = _info(net, info)
            module = _unwrap(net)
            reference = next(module.parameters())
            options = {"dtype": reference.dtype, "device": reference.device}
            x_all = torch.as_tensor(info.to_model_units(data), **options)
            c_all = None
            if info.condition_dimension > 0:
                if conditions is None:
                    raise ValueError("the model is conditional: give the training rows' conditions")
                c_all = torch.as_tensor(info.encode_conditions(conditions), **options)
            dropout = info.condition_dropout if condition_dropout is None else condition_dropout
            if dropout > 0 and not info.has_mask_column:
                raise ValueError("condition dropout needs a model with a mask column")
            distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
            rank = torch.distributed.get_rank() if distributed else 0
            generator = torch.Generator(device=reference.device).manual_seed(seed + 1_000_003 * rank)
            optimizer = torch.optim.Adam(net.parameters(), lr=learning_rate)
            average = None
            if ema_decay is not None:
                average = copy.deepcopy(module).requires_grad_(False)
                average.info = info
            for step in range(steps):
                rows = torch.randint(
                    0, x_all.shape[0], (batch_size,), generator=generator, device=reference.device)
                c = None if c_all is None else c_all[rows]
                loss = dsm_loss(
                    net, x_all[rows], c, generator=generator, info=info, condition_dropout=dropout)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if average is not None:
                    with torch.no_grad():
                        for p_avg, p in zip(average.parameters(), module.parameters()):
                            p_avg.lerp_(p, 1 - ema_decay)
                if log_every and (step + 1) % log_every == 0 and rank == 0:
                    print(f"step {step + 1}: loss {loss.item():.5f}", flush=True)
            return average if average is not None else module

    def save(net, path, like=None, extra_metadata=None):
        """Writes a network's weights as a ScoreSDE model file: the tensors of ``like`` (a model file
        path or a ``ModelInfo``; default ``net.info``) in its order and dtypes, with its metadata
        (process, parameterisation, standardisers, condition encoding, training summary, ...) plus
        ``extra_metadata``, and a fresh CRC-32. ``net`` is an ``nn.Module`` (possibly DDP-wrapped)
        or a dict name -> numpy array. Refuses missing, extra, misshapen or non-finite tensors."""
        if isinstance(like, (str, os.PathLike)):
            like = ModelInfo.from_file(like)
        if isinstance(net, dict):
            state, info = net, like
        else:
            module = getattr(net, "module", net)
            state = {k: v.detach().cpu().double().numpy() for k, v in module.state_dict().items()}
            info = like if like is not None else module.info
        if info is None:
            raise ValueError("save: give like= (the original model file) for the metadata")
        names = [name for name, _, _ in info.layout]
        extra = sorted(set(state) - set(names))
        if extra:
            raise ValueError(f"save: tensors {extra} are not in the model file's layout")
        tensors = {}
        for name, shape, dtype in info.layout:
            if name not in state:
                raise ValueError(f"save: tensor {name} is missing")
            array = np.asarray(state[name])
            if list(array.shape) != list(shape):
                raise ValueError(f"save: tensor {name} has shape {list(array.shape)}, the file {shape}")
            array = array.astype(dtype)
            if not np.all(np.isfinite(array)):
                raise ValueError(f"save: tensor {name} holds NaN or infinity (ScoreSDE would refuse it)")
            tensors[name] = array
        metadata = dict(info.metadata)
        metadata.update(extra_metadata or {})
        write_safetensors(path, tensors, metadata)
    """#
}
