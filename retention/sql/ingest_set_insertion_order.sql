-- Set preserve_insertion_order for this connection's session only. $preserve: BOOLEAN.
SET SESSION preserve_insertion_order = $preserve
