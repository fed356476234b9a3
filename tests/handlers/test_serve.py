from __future__ import annotations

import io
import logging

from handlers.serve import RedactSecrets


def test_tokens_and_secrets_are_redacted_from_logs() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(["my-signing-secret-value"]))
    logger = logging.getLogger("redaction-test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(
            "token %s app %s secret %s",
            "xoxb-123-456-abc",
            "xapp-1-A1-xyz",
            "my-signing-secret-value",
        )
        logger.warning("Authorization: Bearer xoxp-999-abc")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    for secret in ("xoxb-123-456-abc", "xapp-1-A1-xyz", "my-signing-secret-value", "xoxp-999"):
        assert secret not in output
    assert "xoxb-[redacted]" in output and "[redacted]" in output
