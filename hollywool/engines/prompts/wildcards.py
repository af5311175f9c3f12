"""Alternatives `{red|blue}` and wildcards `__colors__` in a prompt, resolved per image through dynamicprompts.

A wildcard names a `.txt` file in the wildcard folder (`__colors__` -> colors.txt, `__animals/cats__` ->
animals/cats.txt), one choice per line (empty lines and `#` comments skipped). Each image resolves the
template with its own seed, so a batch of n images gets n picks and the same seed always picks the same.

Only plain files inside the folder are read: symbolic links are skipped and a name that could leave the
folder (`..`, an absolute path, a backslash) is refused, as is a wildcard with no file: the job is not
run with `__name__` left in its prompt. Every refusal is a 422 on the field the template came from.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynamicprompts.generators import RandomPromptGenerator
from dynamicprompts.wildcards import WildcardManager

from hollywool.errors import InvalidInputError

if TYPE_CHECKING:
    from dynamicprompts.wildcards.types import RootMap

MAX_FILE_BYTES = 1_000_000  # one wildcard file; a larger one is refused
MAX_RESOLVED_CHARS = 20_000  # a resolved prompt (nested wildcards can grow one)
_WRAP = "__"
_UNSAFE = re.compile(r"\.\.|\\|^[/~]|:")
# dynamicprompts reads `#`, `//` and `/*` as the start of a comment and drops the rest of the line, and refuses
# a `$` or `%` that starts no command: a prompt ("#ff0000", a URL, "$5", "100%") keeps them as text, so they are
# swapped for private-use characters while it parses (`$` and `%` only outside {...}, where `$$` is syntax).
_LITERALS = {"#": "\ue000", "//": "\ue001", "/*": "\ue002", "$": "\ue003", "%": "\ue004"}
_OUTSIDE_ONLY = re.compile(r"[$%](?!\{)")


class Wildcards:
    """The wildcard folder. Files are read again for every template, so edits apply to the next job."""

    def __init__(self, folder: Path):
        self.folder = folder

    def resolve(self, template: str, seeds: list[int], field: str = "prompt") -> list[str]:
        """The template resolved once per seed (a plain template comes back as is, once per seed)."""
        if "{" not in template and _WRAP not in template:
            return [template] * len(seeds)
        manager = _FolderWildcards(self.folder, field)
        out: list[str] = []
        for seed in seeds:
            try:
                text = _restored(RandomPromptGenerator(manager, seed=seed).generate(_protected(template), 1)[0])
            except InvalidInputError:
                raise
            except RecursionError:
                raise InvalidInputError(f"{field}: a wildcard refers back to itself", field=field) from None
            except Exception as exc:  # the user's text, read by another library: any failure is a 422
                reason = str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)[:120]
                raise InvalidInputError(
                    f"{field}: cannot read its {{a|b}}, ${{variable}} or __wildcard__ syntax ({reason})", field=field
                ) from None
            if len(text) > MAX_RESOLVED_CHARS:
                raise InvalidInputError(
                    f"{field}: the resolved prompt has {len(text)} characters (at most {MAX_RESOLVED_CHARS})",
                    field=field,
                )
            out.append(text)
        return out


def _protected(text: str) -> str:
    for literal in ("#", "//", "/*"):
        text = text.replace(literal, _LITERALS[literal])
    out: list[str] = []
    depth = 0
    for i, c in enumerate(text):
        depth += (c == "{") - (c == "}" and depth > 0)
        out.append(_LITERALS[c] if depth == 0 and _OUTSIDE_ONLY.match(text, i) else c)
    return "".join(out)


def _restored(text: str) -> str:
    for literal, stand_in in _LITERALS.items():
        text = text.replace(stand_in, literal)
    return text


def _read_folder(folder: Path, field: str) -> dict[str, Any]:
    """name -> choices, for every plain .txt file under the folder (links are not followed)."""
    found: dict[str, Any] = {}  # name -> list[str]
    if not folder.is_dir():
        return found
    for root, dirs, files in os.walk(folder):  # os.walk does not descend into linked folders
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = Path(root) / name
            if path.suffix != ".txt" or path.is_symlink() or not path.is_file():
                continue
            if path.stat().st_size > MAX_FILE_BYTES:
                raise InvalidInputError(
                    f"{field}: the wildcard file {path.relative_to(folder)} is larger than {MAX_FILE_BYTES} bytes",
                    field=field,
                )
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            key = path.relative_to(folder).with_suffix("").as_posix()
            found[key] = [_protected(s) for line in lines if (s := line.strip()) and not s.startswith("#")]
    return found


class _FolderWildcards(WildcardManager):
    """A WildcardManager over the folder's files that refuses unsafe and missing names instead of leaving
    the `__name__` text in the prompt (dynamicprompts' default, with a logged warning)."""

    def __init__(self, folder: Path, field: str):
        roots: RootMap = {"": [dict(_read_folder(folder, field))]}
        super().__init__(root_map=roots)
        self._field = field
        self._folder = folder

    def get_values(self, wildcard: str) -> Any:
        wildcard = _restored(wildcard)
        name = wildcard.removeprefix(_WRAP).removesuffix(_WRAP)
        shown = f"{_WRAP}{name}{_WRAP}"
        if _UNSAFE.search(name):
            raise InvalidInputError(
                f"{self._field}: the wildcard {shown} is refused: a wildcard names a file inside the wildcard folder",
                field=self._field,
            )
        values = super().get_values(wildcard)
        if not values:
            raise InvalidInputError(
                f"{self._field}: no wildcard file for {shown} (looked for {name}.txt in {self._folder})",
                field=self._field,
            )
        return values
