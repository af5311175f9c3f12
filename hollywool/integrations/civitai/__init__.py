"""Civitai: browse the public REST API (v1), download model files as jobs, identify local files.

* ``client``: the HTTP client (bearer token, retries with backoff, a short-lived response cache).
* ``mapping``: Civitai's JSON turned into our typed models.
* ``downloads``: the ``civitai.download`` job kind (resume, SHA-256 verification, cancel).
* ``identify``: by-hash lookup of local files and newer-version flags.
* ``service``: what the router and the studio call.
"""
