"""Event sets a VEN has not answered, sent again: decisions (pure), store, sweep."""
