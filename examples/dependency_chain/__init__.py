"""A three-level dependency chain: facility -> program -> order, against a fake booking API."""
