"""The server's side of the TensorFlow dry run (never imported by the worker process).

  client.py    start the worker process lazily, talk to it, time it out, stop it
  verdict.py   compare TensorFlow's answer with the engine's: confirmations and SL9xx findings
  confirm.py   ``shapelens check --confirm``: payloads out, verdicts back, for the CLI

The one module shared with the worker is ``shapelens.worker.protocol`` (standard library only).
The language server's scheduling of dry runs is ``shapelens.lsp.dryrun_scheduler``.
"""
