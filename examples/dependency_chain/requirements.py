"""What the tests need, declared once and imported wherever it is used.

Importing the same requirement object in several test modules means one shared resource;
calling ``declare`` twice, even with equal arguments, would mean two.
"""

from __future__ import annotations

from .plans import facilities, orders, programs

downtown_gym = facilities.declare(name="Downtown gym", id="downtown_gym")

yoga = programs.declare(title="Morning yoga", facility=downtown_gym, id="yoga")
swimming = programs.declare(title="Swimming", facility=downtown_gym, id="swimming")

yoga_order = orders.declare(seats=2, program=yoga, id="yoga_order")
swimming_order = orders.declare(seats=1, program=swimming, id="swimming_order")
