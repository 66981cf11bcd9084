"""Piper models with their random draws made repeatable.

A Piper (VITS) model draws Gaussian noise inside its graph (RandomNormalLike) for the
durations and the voice's texture. onnxruntime keeps one generator per session, so a
line's noise depends on everything the session said before it, and `set_seed` cannot
help: the same line spoken by two workers comes out different. Here each RandomNormalLike
is replaced by noise computed from its element's position and a seed that is fed with
every call: the same text, settings and seed give the same samples, in any process, in
any order. The noise is still white and unit-normal (a sine hash in double precision
through Box-Muller), so the voice sounds as it did.
"""

from __future__ import annotations

import importlib.util
import math
from functools import lru_cache
from pathlib import Path

SEED_INPUT = "ficaudio_noise_seed"
# Spread the positions of one draw, of each draw (node) and of each seed far apart in the
# hash's argument, so that no two of them land on the same noise.
_STEP, _NODE_STEP, _SEED_STEP = 12.9898, 78.233, 37.719
_SCALE_1, _SCALE_2 = 43758.5453, 24634.6345


def seeded_model(path: Path) -> bytes:
    """The model at path, serialized, with every RandomNormalLike replaced by noise that
    depends only on position and the double scalar input SEED_INPUT."""
    pb = _onnx_protos()
    model = pb.ModelProto()
    model.ParseFromString(Path(path).read_bytes())
    graph = model.graph
    nodes = list(graph.node)
    # Declared even where nothing reads it: the engine feeds it to every model.
    seed = graph.input.add()
    seed.name = SEED_INPUT
    seed.type.tensor_type.elem_type = pb.TensorProto.DOUBLE
    seed.type.tensor_type.shape.SetInParent()  # a scalar: a shape with no dimensions
    rewritten = []
    for k, node in enumerate(nodes):
        if node.op_type != "RandomNormalLike":
            rewritten.append(node)
            continue
        attrs = {a.name: a for a in node.attribute}
        rewritten += _normal_like(pb, node.input[0], node.output[0], f"ficaudio_noise_{k}", k,
                                  mean=attrs["mean"].f if "mean" in attrs else 0.0,
                                  scale=attrs["scale"].f if "scale" in attrs else 1.0,
                                  dtype=attrs["dtype"].i if "dtype" in attrs else pb.TensorProto.FLOAT)
    del graph.node[:]
    graph.node.extend(rewritten)
    return model.SerializeToString()


@lru_cache(maxsize=1)
def _onnx_protos():
    """onnx's generated protobuf classes, read without the onnx package: its import takes
    most of a second (ml_dtypes) in every worker, longer than loading the voice."""
    spec = importlib.util.find_spec("onnx")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("onnx")
    where = importlib.util.spec_from_file_location("ficaudio_onnx_ml_pb2", Path(spec.origin).parent / "onnx_ml_pb2.py")
    module = importlib.util.module_from_spec(where)
    where.loader.exec_module(module)
    return module


def _normal_like(pb, like: str, out: str, p: str, k: int, mean: float, scale: float, dtype: int):
    """Nodes computing `out`: unit-normal noise shaped like `like`, from positions and the seed."""
    outside = {"LIKE": like, SEED_INPUT: SEED_INPUT}

    def node(kind: str, inputs: list[str], output: str, **attrs):
        made = pb.NodeProto(op_type=kind, input=inputs, output=[output])
        for name, value in attrs.items():
            if isinstance(value, pb.TensorProto):
                made.attribute.add(name=name, type=pb.AttributeProto.TENSOR, t=value)
            else:
                made.attribute.add(name=name, type=pb.AttributeProto.INT, i=value)
        return made

    def const(name: str, value: float):
        return node("Constant", [], f"{p}_{name}",
                    value=pb.TensorProto(name=f"{p}_{name}_value", data_type=pb.TensorProto.DOUBLE, double_data=[value]))

    def op(kind: str, inputs: list[str], name: str, **attrs):
        return node(kind, [outside.get(i, f"{p}_{i}") for i in inputs], f"{p}_{name}", **attrs)

    def sine_hash(x: str, scale: str, name: str):
        """frac(sin(x) * scale): uniform in [0, 1) for x spread far enough apart."""
        return [op("Sin", [x], f"{name}_sin"), op("Mul", [f"{name}_sin", scale], f"{name}_big"),
                op("Floor", [f"{name}_big"], f"{name}_floor"), op("Sub", [f"{name}_big", f"{name}_floor"], name)]

    return [
        op("Shape", ["LIKE"], "shape"),
        op("ReduceProd", ["shape"], "count", keepdims=0),
        op("Cast", ["count"], "count_d", to=pb.TensorProto.DOUBLE),
        const("zero", 0.0), const("one", 1.0), const("step", _STEP),
        const("offset", _NODE_STEP * (k + 1)), const("seed_step", _SEED_STEP),
        const("scale_1", _SCALE_1), const("scale_2", _SCALE_2), const("golden", (1 + math.sqrt(5)) / 2),
        const("tiny", 1e-12), const("keep", 1 - 2e-12), const("minus_two", -2.0), const("tau", 2 * math.pi),
        const("mean", float(mean)), const("sd", float(scale)),
        op("Range", ["zero", "count_d", "one"], "index"),
        # x = index * step + node offset + seed * seed step
        op("Mul", ["index", "step"], "spread"),
        op("Mul", [SEED_INPUT, "seed_step"], "seeded"),
        op("Add", ["spread", "offset"], "placed"),
        op("Add", ["placed", "seeded"], "x"),
        # u1, u2 in (0, 1): the fractional parts of two scaled sines of x (u1 kept off 0)
        *sine_hash("x", "scale_1", "frac_1"),
        op("Mul", ["frac_1", "keep"], "kept_1"),
        op("Add", ["kept_1", "tiny"], "u1"),
        op("Mul", ["x", "golden"], "x_2"),
        *sine_hash("x_2", "scale_2", "u2"),
        # Box-Muller: sqrt(-2 ln u1) cos(2 pi u2) is unit-normal
        op("Log", ["u1"], "log_u1"),
        op("Mul", ["log_u1", "minus_two"], "radius_sq"),
        op("Sqrt", ["radius_sq"], "radius"),
        op("Mul", ["u2", "tau"], "angle"),
        op("Cos", ["angle"], "cos"),
        op("Mul", ["radius", "cos"], "normal"),
        op("Mul", ["normal", "sd"], "scaled"),
        op("Add", ["scaled", "mean"], "shifted"),
        op("Cast", ["shifted"], "typed", to=dtype),
        node("Reshape", [f"{p}_typed", f"{p}_shape"], out),
    ]
