"""Calculator: JSON messages turned into typed objects by a decoder, and
typed replies turned back into JSON by an encoder.

The client sends text messages such as ``{"op": "*", "a": 6, "b": 7}``.
The endpoint's ``@on_message`` method takes a :class:`Calculation`
(its parameter's annotation), so the container runs the message through
:class:`CalculationDecoder` first; what the method returns is a
:class:`Reply`, which :class:`ReplyEncoder` writes as JSON. The endpoint
itself never sees a string.

A message the decoder refuses (not JSON, an unknown operator, a missing
number) raises :class:`~catalina_py.websocket.coders.DecodeError`: the
container hands it to the ``@on_error`` method and the session stays
open, so the endpoint answers with a :class:`Problem` and goes on.
"""

import json
import logging
import math
import operator
from dataclasses import asdict, dataclass

from catalina_py.websocket.coders import DecodeError, Decoder, Encoder
from catalina_py.websocket.endpoint import on_error, on_message, server_endpoint

log = logging.getLogger(__name__)

#: The operators the calculator knows.
OPERATIONS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


@dataclass(frozen=True)
class Calculation:
    """What the client asks: ``a op b``."""

    op: str
    a: float
    b: float


@dataclass(frozen=True)
class Reply:
    """Anything the endpoint sends back (the encoder takes every kind)."""

    kind: str


@dataclass(frozen=True)
class Result(Reply):
    """The answer to a calculation."""

    op: str
    a: float
    b: float
    value: float


@dataclass(frozen=True)
class Problem(Reply):
    """Why a message got no result."""

    message: str


class CalculationDecoder(Decoder.Text):
    """JSON text to a :class:`Calculation`."""

    object_type = Calculation

    def will_decode(self, text):
        """Only JSON objects are for this decoder (a cheap first look)."""
        return text.lstrip().startswith("{")

    def decode(self, text):
        """The calculation in *text*, or DecodeError saying what is wrong."""
        try:
            fields = json.loads(text)
        except ValueError as exc:
            raise DecodeError(text, f"not JSON: {exc}") from None
        if not isinstance(fields, dict):
            raise DecodeError(text, "a JSON object is expected")
        op = fields.get("op")
        if op not in OPERATIONS:
            raise DecodeError(text, f"op must be one of {' '.join(OPERATIONS)}, not {op!r}")
        numbers = []
        for name in ("a", "b"):
            value = fields.get(name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise DecodeError(text, f"{name} must be a number, not {value!r}")
            numbers.append(float(value))
        return Calculation(op, numbers[0], numbers[1])


class ReplyEncoder(Encoder.Text):
    """Any :class:`Reply` (a Result or a Problem) to JSON text."""

    object_type = Reply

    def encode(self, reply):
        """The reply's fields as a JSON object."""
        return json.dumps(asdict(reply))


@server_endpoint("/websocket/calculator", decoders=[CalculationDecoder], encoders=[ReplyEncoder])
class CalculatorEndpoint:
    """Answers each calculation with its result."""

    @on_message
    def calculate(self, session, calculation: Calculation) -> Reply:
        """A decoded calculation; the Reply returned is encoded and sent."""
        try:
            value = OPERATIONS[calculation.op](calculation.a, calculation.b)
        except ZeroDivisionError:
            return Problem("problem", "division by zero")
        if not math.isfinite(value):
            return Problem("problem", "the result is not a finite number")
        return Result("result", calculation.op, calculation.a, calculation.b, value)

    @on_error
    def error(self, session, error):
        """A message the decoder refused: tell the client, stay open."""
        if isinstance(error, DecodeError) and session.is_open():
            session.get_basic_remote().send_object(Problem("problem", str(error)))
        else:
            log.info("calculator session %s: %s", session.get_id(), error)
