"""briefing: a static briefing-site generator.

The build is one straight pipeline over plain, typed data::

    read      files -> located YAML nodes and article text   (yamlload, reader)
    model     validated, frozen dataclasses                  (schema, model)
    resolve   citations, mentions, cross-references, URLs    (resolve, mentions)
    render    page contexts -> HTML strings                  (context, render)
    write     the whole site aside, then swapped in          (output)

``generator.build.build`` runs it; ``generator.cli`` is the command line.
"""

__version__ = "0.1.0"
