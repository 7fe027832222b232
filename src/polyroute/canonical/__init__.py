"""polyroute's canonical request, response and stream types."""

from polyroute.canonical.messages import ImagePart, Message, Part, ReasoningPart, TextPart, ToolCall
from polyroute.canonical.request import (
    AnyRequest,
    ChatRequest,
    EmbeddingRequest,
    FimRequest,
    ResponseFormat,
    ToolChoice,
    ToolSpec,
)
from polyroute.canonical.response import (
    ChatResponse,
    Choice,
    Embedding,
    EmbeddingResponse,
    FinishReason,
    ModelInfo,
    Usage,
)
from polyroute.canonical.stream import (
    Finish,
    ReasoningDelta,
    StreamEvent,
    StreamFailure,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    ToolCallStart,
    UsageReport,
)

__all__ = [
    "AnyRequest",
    "ChatRequest",
    "ChatResponse",
    "Choice",
    "Embedding",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "FimRequest",
    "Finish",
    "FinishReason",
    "ImagePart",
    "Message",
    "ModelInfo",
    "Part",
    "ReasoningDelta",
    "ReasoningPart",
    "ResponseFormat",
    "StreamEvent",
    "StreamFailure",
    "StreamStart",
    "TextDelta",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolCallStart",
    "ToolChoice",
    "ToolSpec",
    "Usage",
    "UsageReport",
]
