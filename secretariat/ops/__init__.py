"""Operations: online backups that restore and verify, readiness checks, structured logs."""
