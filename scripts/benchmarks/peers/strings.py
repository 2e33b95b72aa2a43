# (k) string_build: 200,000 strings of 50 pieces each, built by joining with +.
def main():
    total = 0
    for j in range(200000):
        s = ""
        for k in range(50):
            s = s + "ab"
        total = total + len(s)
    print(total)


main()
