"""dadkhah: evidence-grade collection of human-rights news articles."""

from importlib.util import find_spec
from pathlib import Path

__version__ = "0.1.0"

# The project's fixed layout gives its packages generic names. A PyPI distribution of the
# same name installed in the same environment (`schema` exists there) would be imported
# instead of ours, and fail far from the cause; say so at once instead.
_SIBLINGS = ("schema", "spiders")


def _check_siblings() -> None:
    home = Path(__file__).resolve().parent.parent
    for name in _SIBLINGS:
        spec = find_spec(name)
        places = list(spec.submodule_search_locations or []) if spec else []
        if not any(Path(place).resolve().parent == home for place in places):
            found = (spec.origin or places) if spec else "nothing"
            raise ImportError(
                f"dadkhah's package {name!r} (in {home}) is shadowed: Python finds {found}. "
                f"Another distribution named {name!r} is installed in this environment; "
                "uninstall it or give dadkhah its own virtual environment."
            )


_check_siblings()
