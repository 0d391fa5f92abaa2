"""Built-in operators: ``ai_flow.operators.bash.BashOperator`` and
``ai_flow.operators.python.PythonOperator``."""
