"""Publication of results (一公开, Art. 25–27): versions, public pages, national export, outbox."""
