import fixrs as v12

try:
    engine = v12.FixEngine()
    ssn = engine.create_session(v12.SessionId("TEST1", "TEST2"), "FIX44", v12.FIXVersion.FIX44)
    ssn.connect(30, "127.0.0.1", 8901)
    while True:
        s = input("input: 'q' to exit\n")
        if s == "q": break
except (Exception) as e:
    print(e)
