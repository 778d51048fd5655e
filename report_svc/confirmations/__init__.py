"""Report messages a VEN has not confirmed, sent again: decisions (pure), store, sweep."""
