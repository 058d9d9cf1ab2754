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
        try:
            spec = find_spec(name)
        except ValueError:  # already imported without a spec: whatever it is, it is in use
            continue
        origin = spec.origin if spec else None
        # Compared through the resolved __init__.py: symlinked files in a link tree (strict
        # editable installs) resolve back to the checkout.
        if origin and Path(origin).name == "__init__.py" and Path(origin).resolve().parent.parent == home:
            continue
        found = origin or (list(spec.submodule_search_locations or []) if spec else None) or "nothing"
        raise ImportError(
            f"dadkhah's package {name!r} (in {home}) is shadowed: Python finds {found} first "
            "(another installed distribution, a file or folder of that name in the working "
            "directory, or PYTHONPATH). Remove it from the path, or give dadkhah its own "
            "virtual environment."
        )


_check_siblings()
