"""Operations: cases, chat, assets, intercept planning."""
