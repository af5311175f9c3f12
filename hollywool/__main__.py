from hollywool.cli import app

app(prog_name="hollywool")
