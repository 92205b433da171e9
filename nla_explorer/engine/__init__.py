"""The Qt-free engine: capture, forward values, backward trace, expression model and code form."""

from nla_explorer.engine.autograd.capture import capture
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.writer import to_code
from nla_explorer.engine.errors import CaptureError, EngineError, ExpressionError
from nla_explorer.engine.code.evaluation import Evaluation, evaluate
from nla_explorer.engine.examples import EXAMPLES, Example, get_example, manual_gradients
from nla_explorer.engine.expression import Block, DType, Expression, Hole, Ref, Slice, Var
from nla_explorer.engine.autograd.graph import AutogradGraph, GraphEdge, GraphNode, SavedValue
from nla_explorer.engine.pipeline import Exploration, explore_code, explore_expression
from nla_explorer.engine.autograd.recorder import ForwardRecorder
from nla_explorer.engine.report import graph_json
from nla_explorer.engine.tensors import TensorData, snapshot
from nla_explorer.engine.autograd.trace import BackwardStep, BackwardTrace, trace_backward

__all__ = [
    "AutogradGraph", "BackwardStep", "BackwardTrace", "Block", "CaptureError", "DType",
    "EXAMPLES", "EngineError", "Evaluation", "Example", "Exploration", "Expression",
    "ExpressionError", "ForwardRecorder", "GraphEdge", "GraphNode", "Hole", "Ref", "SavedValue",
    "Slice", "TensorData", "Var", "capture", "evaluate", "explore_code", "explore_expression",
    "get_example", "graph_json", "manual_gradients", "parse_code", "snapshot", "to_code",
    "trace_backward",
]
