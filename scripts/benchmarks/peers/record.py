# (i) record_fields: a dict's fields read and written 5,000,000 times in a while loop.
def main():
    p = {"x": 0.0, "y": 0.0, "n": 0.0}
    i = 0
    while i < 5000000:
        p["x"] = p["x"] + i
        p["y"] = p["y"] + 2 * i
        p["n"] = p["n"] + 1
        i = i + 1
    print(int(p["x"]), int(p["y"]), int(p["n"]))


main()
