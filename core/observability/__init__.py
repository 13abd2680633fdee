"""Operations: request ids, structured logs and health checks."""
