"""Built-in plugins of aurora-client-v2.

Each module here is registered through an entry point in pyproject.toml, exactly
as a site's own plugin package would be; the core gives them no special powers.
Keep module-level imports cheap: heavy work belongs inside functions.
"""
