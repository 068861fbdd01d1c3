"""The lock pipeline, one module per stage; data flows one way, each stage's result is the next
one's input (``mach2.api.lock_input`` runs them in this order)::

    inputs     RequirementsInput + LockOptions  → Request (target, roots, constraints, order)
    providers  Request                          → OpenProviders (every provider by name)
    resolve    Request + OpenProviders          → packages (runtime, then build systems)
    artifacts  packages + OpenProviders         → packages (every artifact hashed and sourced)
    plans      packages + Target                → packages (RUNPATH plans of binary wheels)
    lock       Request + packages               → Lock

The Target travels in the Request, never in a global, so a stage can be run again for another
target.  ``options`` holds :class:`~mach2.pipeline.options.LockOptions`.
"""
