def hello():
    return "hello from demo_pkg"
