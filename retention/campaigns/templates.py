"""Arm templates: the treatments a marketer starts from, in a :class:`~retention.registry.Registry`.

A template supplies a label and default costs; the assumed uplift is always
stated by the marketer (the template only suggests one for the builder to
pre-fill). Add a treatment by decorating a function that returns an
:class:`ArmTemplate`::

    @arm_template("sms_reminder")
    def sms_reminder() -> ArmTemplate:
        return ArmTemplate(label="SMS reminder", cost_per_contact=0.04, discount_share=0.0,
                           suggested_uplift=(0.01, 0.02, 0.04))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from retention.registry import Registry


@dataclass(frozen=True)
class ArmTemplate:
    """Defaults of one kind of treatment.

    cost_per_contact: currency per member contacted; discount_share: share of
    the next order's value given away, in [0, 1); suggested_uplift: (low,
    likely, high) share of would-be churners the treatment keeps, each in
    [0, 1]; needs_recommendations: the export carries recommended items;
    channel: how the arm reaches members ('email', 'sms' or 'onsite').
    """

    label: str
    cost_per_contact: float
    discount_share: float
    suggested_uplift: tuple[float, float, float]
    needs_recommendations: bool = False
    channel: str = "email"


ARM_TEMPLATES: Registry[ArmTemplate] = Registry("arm template")


def arm_template(name: str) -> Callable[[Callable[[], ArmTemplate]], Callable[[], ArmTemplate]]:
    """Register the template returned by the decorated function under ``name``."""
    return ARM_TEMPLATES.register(name, make=lambda factory: factory())


@arm_template("discount_email")
def discount_email() -> ArmTemplate:
    return ArmTemplate(
        "10% discount email", cost_per_contact=0.05, discount_share=0.10, suggested_uplift=(0.02, 0.06, 0.12)
    )


@arm_template("free_shipping")
def free_shipping() -> ArmTemplate:
    return ArmTemplate("Free shipping", cost_per_contact=0.05, discount_share=0.06, suggested_uplift=(0.01, 0.04, 0.08))


@arm_template("recommendations_email")
def recommendations_email() -> ArmTemplate:
    return ArmTemplate(
        "Personal recommendations email",
        cost_per_contact=0.05,
        discount_share=0.0,
        suggested_uplift=(0.0, 0.03, 0.07),
        needs_recommendations=True,
    )


@arm_template("sms_discount")
def sms_discount() -> ArmTemplate:
    return ArmTemplate(
        "10% discount SMS",
        cost_per_contact=0.04,
        discount_share=0.10,
        suggested_uplift=(0.02, 0.05, 0.10),
        channel="sms",
    )


@arm_template("onsite_offer")
def onsite_offer() -> ArmTemplate:
    return ArmTemplate(
        "On-site offer banner",
        cost_per_contact=0.0,
        discount_share=0.05,
        suggested_uplift=(0.0, 0.02, 0.05),
        channel="onsite",
    )


@arm_template("custom")
def custom() -> ArmTemplate:
    return ArmTemplate("Custom treatment", cost_per_contact=0.0, discount_share=0.0, suggested_uplift=(0.0, 0.02, 0.05))
