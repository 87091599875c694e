"""The type stubs describe the module as it is."""

import ast
import os

import fixrs

STUB = os.path.join(os.path.dirname(fixrs.__file__), "__init__.pyi")


def test_every_stubbed_name_and_method_exists():
    with open(STUB, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    missing = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            cls = getattr(fixrs, node.name, None)
            if cls is None:
                missing.append(node.name)
                continue
            for item in node.body:
                name = None
                if isinstance(item, ast.FunctionDef):
                    name = item.name
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    name = item.target.id
                if name and name not in ("__init__", "__eq__", "__hash__") and not hasattr(cls, name):
                    missing.append("%s.%s" % (node.name, name))
        elif isinstance(node, ast.FunctionDef) and not hasattr(fixrs, node.name):
            missing.append(node.name)
    assert missing == []


def test_every_public_name_is_stubbed():
    with open(STUB, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    stubbed = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    assert set(fixrs.__all__) - stubbed == set()
