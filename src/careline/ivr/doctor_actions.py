"""The doctors' phone services, registered with the IVR by importing this module.

``doctor_box_actions`` holds the doctor's voicemail box and leaving a doctor a message;
``consult_actions`` the direct consultation.
"""

from __future__ import annotations

from careline.ivr import consult_actions as _consult_actions  # noqa: F401 - registers them
from careline.ivr import doctor_box_actions as _doctor_box_actions  # noqa: F401 - registers
