"""Wire codecs: each client or provider dialect translated to and from the canonical types.

``polyroute.wire.openai`` is the OpenAI Chat Completions family (both directions);
``polyroute.wire.sse`` is the one Server-Sent Events reader for every upstream.
"""
