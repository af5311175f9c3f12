"""Remote providers (fal.ai, KREA, Higgsfield) behind the one provider interface, and the remote job kind."""
