"""The TensorFlow dry run: rebuild the engine's model specification with real Keras.

Runs inside the worker process only (under the user's interpreter; the only modules that import TensorFlow):
  main.py      the loop: a hello line, then one answer line per request line
  rebuild.py   specification -> Keras layers on symbolic inputs -> shapes, parameters, exceptions
  guard.py     memory limit and the audit hook that keeps the worker off the network and the disk
Shared by both sides (standard library only):
  protocol.py  the messages, newline-delimited JSON over the worker's stdin/stdout
The server's side (client, verdicts, ``shapelens check --confirm``) is the package
shapelens.dryrun; it never runs in this process.

This file imports nothing, so that the worker can load the package without the rest of
shapelens (see shapelens.dryrun.client.BOOTSTRAP).
"""
