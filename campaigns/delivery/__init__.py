"""The delivery engine's plumbing: channel backends and signed per-message tokens. The
decisions (dispatch, sending, receipts, preferences) are services in
``campaigns.services``; what pages show is in ``campaigns.selectors.delivery``."""
