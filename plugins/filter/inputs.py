# The project's own filters for checking inputs before anything changes:
# what Docker, Compose or AWS would refuse only later, in the middle of a run.


import math
import re

# A container image reference as Docker reads it: [registry[:port]/]path[:tag][@sha256:digest]
# (the distribution project's reference grammar, lower-case path components).
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
# A registry is a first component with a dot or a port, or localhost.
_DOMAIN = r"(?:(?:localhost|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+)(?::[0-9]+)?/|[a-zA-Z0-9-]+:[0-9]+/)"
IMAGE_REFERENCE = re.compile(
    rf"^{_DOMAIN}?{_COMPONENT}(?:/{_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?(?:@sha256:[a-f0-9]{{64}})?$")
# RDS for MySQL master passwords: 8 to 41 printable ASCII characters, not /, @, " or a space.
RDS_PASSWORD = re.compile(r'^[!#-.0-?A-~]{8,41}$')


def bad_image_references(images):
    """The entries of images that are not image references Docker accepts."""
    return [image for image in images if not isinstance(image, str) or not IMAGE_REFERENCE.match(image)]


def rds_password_problem(password):
    """Why RDS would refuse this MySQL master password, in words (the
    password itself never), or an empty string."""
    if not isinstance(password, str):
        return "is not a string"
    if not 8 <= len(password) <= 41:
        return f"has {len(password)} characters; RDS for MySQL takes 8 to 41"
    bad = sorted({c for c in password if not RDS_PASSWORD.match(c * 8)})
    if bad:
        names = {"/": "/", "@": "@", '"': '"', " ": "a space"}
        return "contains " + ", ".join(names.get(c, "a character outside printable ASCII") for c in bad) + \
               ", which RDS refuses in a master password"
    return ""


def finite_number(value):
    """value as a float when it is a finite number, else None (inf, nan, text)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class FilterModule:
    def filters(self):
        return {
            "bad_image_references": bad_image_references,
            "rds_password_problem": rds_password_problem,
            "finite_number": finite_number,
        }
