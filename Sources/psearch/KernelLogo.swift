import Foundation

/// The kernelspec's logos: JupyterLab's launcher shows the SVG, the classic notebook and others
/// the PNGs. The PNGs are the SVG drawn by librsvg (`rsvg-convert -w 64 -h 64 logo-svg.svg`),
/// kept here as bytes so an installed binary needs no files beside it.
enum KernelLogo {
    /// A descent path into a minimum, in the plots' blue.
    static let svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
        <rect width="64" height="64" rx="12" fill="#1f2328"/>
        <ellipse cx="36" cy="38" rx="20" ry="13" fill="none" stroke="#5a8dd6" stroke-width="2"/>
        <ellipse cx="36" cy="38" rx="11" ry="7" fill="none" stroke="#5a8dd6" stroke-width="2"/>
        <polyline points="8,10 20,22 27,30 32,35 35,37.5" fill="none" stroke="#f0b429" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/>
        <circle cx="36" cy="38" r="3" fill="#f0b429"/>
        </svg>

        """

    static let png32 = decode(
        "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAABmJLR0QA/wD/AP+gvaeTAAAEiUlEQVRYhcWXXWyTVRzGf+d9" +
        "+7W2K+tcuzH2wVhdNrJFxMhIiGYyNUNJDFEvYCETEiPEGGJiMJEL9QJiICHqhSFLDMYIJhpBULJB0DgTBYxjg9FtYAcb+2oL" +
        "de3ard89Xow1TGAbOsr/7pyc53l+533P+39zBLfK4XDoY1J9Q0ixCahGYGIhSzIBXJKCQzqRaHa5XFEAAVBUUbFETSknkDy2" +
        "oKH3hJGdSY1cP3TlyrBwOBz6OJpzGQu/DUKrJFerZqvtTYF4LaPhAEIUpFA8CkJpnJ7b9LRgW0NGMRoVIeXy6ZHFKNm+TrBz" +
        "g8gUQLWak5u3Z3r0pwv0GkFTPViyBL9ffuAAOs2/Zz75UQKCrc8BCPZ9L5HywRHcAZBpiLsCZBLingDTEHqtoLEOEinYfyzD" +
        "AAB7j0qEAk1rBR4/HGpb2McwJwDAviNgt8A7G8ATUOnwr2RRyQqy7Q70Zhuq3ghAMjpJJOgl5HURGLzA39c7kKnErN6itLxy" +
        "XlsyGnV8/raFR21B9nRs5mynm5C3j3BglGR0cmo3BhMGSwFmezm5ZaswWYsZvnCc0a4TJOOx/w6QZS2iqmEnarCX91c2Y9Yn" +
        "2fKp5Jpndp1h0WJKVzdiyi2hp3Uv4bGh+wcwWAqo2bCbgTNf4r3SRnGe4IsdIBSVD8+8QsC4Cn22HYBo0EPQ+xejXa1M+vrT" +
        "HvbKZyhd3UjXd7uIBGdSqzm5eR/MBrD8xV2MXjqBp+cnAIIRlQFLI/XLrlFX5OR46wUu/foNoxd/IDDSjdaQTdmarZjyljI2" +
        "0A5SMnGzH5mIU/zkq3h7f57hr8wWnl1Qiao34XaeSs+V1DbiiRWxZX+YZDzKZ03DbHs2TENNmEnfNYbOH+X812+hzbJQumpj" +
        "Wud2nkRryCY7v2L+AGbbMgJDF7m9A+VXreVqWzN9IzGaPpbEE/D687B7M7zwxNRPLJWI4mo7QH5VfVonZQr/cBdmW/n8Aeaq" +
        "IR8caPk/DnP0gdCNPhZXNyCEgpQpALzdpymv28blU/tIxmMcOSuJxAUSSUv7lE7V6nDUbcfdczrtJYRCzpIavL2/zMiY9RDG" +
        "Qj5sFU8hVA0hrwuAwIiTnKIaytZsRahaUokolwdj9Hl1GK3F2CvXUlG/g4mb/fT/dhCYen2La9ZhsOQz1P7tjIy5P8PsfGpe" +
        "3s3A2cMzTrDxkaUUVjdgsjswWPIBiIy7CXlcuJ2tTPgG0mvzq+opqd3IxSPvER333h8AQJZ1CVUN7zIxNsj1c4cJjw3PJUnr" +
        "Smo3YbQW09PyERH/yB1r5t2KFY2ewpp1FK54ibB/GN/VPwh5XUQCbhKxCQA0OhOGRQWY7Q5yy2oxWgsZ7jzGaFcLqUT0rr7z" +
        "BkgLFBVryePkFK/AbCtHb7Gh0U3dYRKxCaLjXkI3ruIf7GTsegcylZzdr7S8MgiY7wdiAWtckUJ0P6RwgG4FKb96iACHFJ1I" +
        "NCNlZ8ajpew0G9RmxeVyRZMauT6jELcup06nM6YCjPt8waLCgoOxhPQCuUAOoFvg2BDQDuw1Z2m29/X2+gH+ASgjzttl/xiP" +
        "AAAAAElFTkSuQmCC")

    static let png64 = decode(
        "iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAYAAACqaXHeAAAABmJLR0QA/wD/AP+gvaeTAAAKvElEQVR4nOWba3BbxRXHf3t1" +
        "JdmWHMuWZTvxM7LycEwaSIBAISEJJJRnQksbWtJ+aGmHpnQKH9rCtDShQ3nM9AsfYJpSMi2QQmlpIQ8y0ABJICEmJYRx3pEU" +
        "vxI7lt+SZVvSvdsP13YeluzEkh1i/jOa0d17dPbsf3fPPefslWAYuN2VJTGhLQfuEFCGpAiBbbjfXHJIuhE0SKgRsFlFfdvn" +
        "O1CfSFzEayyaPr1Q1ZTfSfgRYBozY8cHukC8iSZ/VVNzpOb8m0MIKCuvWCGRrwD28bBuHBHUhVxV7z268ezGc2a3xD3jFwjW" +
        "A9ZxNW18YBWIlVk5zo7O9taqgcbBFdA/828CyiUxb/yg60LeM7ASBEChx1OkSvUwE2/ZJ0JQV+XM+qNHTykAKurv+eoMHiBT" +
        "ifEEgHC7K0s0ofm5/L39xUKLiViZGhOxFQIxZPBCwB3zDBex5TOJlONu4FjDpGJergrEbfHu3nk1PLnK+H7NNHjiddAnGglS" +
        "v10BPCPJrbhOsOY+UOKGTZczRLnJkZP7FGA5/5a3EQocMLPIGPXMIkGBA3YehAm0ENIGCBgCCew4CM5MqCw5Q8LkbNhxYMKQ" +
        "YDE5cnLXDifx0aGJTcKIBMDEJuGCCICJS8IFEwATk4SLIgAmHgkXTQBMLBJGRQBMHBJGTQDAx4cu/2ApKQISBUu2NMHuIymy" +
        "cIyRFAEDOH8lzCmDYI+gujZZzWOPlBAgMZa9p0DgLjDarp8Jx0/BidPJah9biNLymSnbrlYzrFstuMptXPdF4SfPS/afOCNj" +
        "stiwu9zY88qxu8qx2p2oVjsmiw01zThyiPV2o0W6ifWF6Au1Egr4CDX7CAX8aJHuVJkLpJgAAEcG/O1hQVm+cd3eDQ+sm0Q4" +
        "awGuaQuw53mMastoICWhgJfAsZ0EvLuIhjuStjflBAAUOeHlRwTOTOM6EMnnj/XPEIxNQo/10d1SY8xqwEdPRyOxvpAx473G" +
        "7KppNlSLDZPVTrpjSv+K8WBzlqKoRsVe6hod9V9Qv/d1gs3eUds6JgSkZxeyZOkS1l7/TyxKHwDezsn8fEMxTd7P0bXIqPQq" +
        "qpWckrnkTl9ITulchMkMUtJyYg+1ezbQ23HqonWmxAmejYJZS5l1+2P02Ss52ZPPvKwqBJCTFqLAfJL/fq6NOkaQuka4vYEW" +
        "7y4aD2wFqWPL82B3ljF51lIi4Q66W/wXpTNlBAiTGc+iBym+ZiVCMXH68DY+fOtlOrt6uaHCkHEXkLJASdeidJ6spvnIB6hW" +
        "O/Y8DzlTr8Fiy6Gj/guQ+oXZnYotIBSVitseJbt0LnqsD9/OF2k+8sHg/V/eI1i16Iz821WSpzZm4yibT2aeB1uuG0uGA5M1" +
        "AwCtLzw4m8Hm47Sd+JRId/uwNuROW4Bn8WpMqpWO+i849M5TSC06su2pIMCz+GfkV9xMNNzBwU1P0N16bgSkCFhzn1FcHcDu" +
        "zsVsaFqNvICTOKlrdJ6spm7vGwSbEoeYttwyKu9agzk9i6ZD7+Hb/qcRdSdNgNM9n5nf+DVaNEL1fx6lu6UmrpxqSePph6az" +
        "rLR6sG17wxU8u3UyXYET9AUDaH1hAEzWDKx2F/Y8N46iOWSXzkUxGXXbwLEd+HasQ4v2xu3H7nIz+54/oKhWDm99hrYTnw5r" +
        "f1I+QCgmKm5/DNVqp2bXetpq/hdXzpw2idnffBq/+U4cpmZK0o0VUjapGXvUx7aqNrRoL1JqSKmhR3uJdLcRavYZDq96K7oW" +
        "xZ7nwZ7nIbvsalp8u9BjQ58mkXA7WqSH7NK5ZOZ7aKreynAeJykCnO7rKKi8lXB7A97tLxDv+EgoJirueJzMvHK6W+t4bcPb" +
        "5KaHzskgZxbBzgMQ1eL3I7UoXacO0uL/BEfhbGzOEiYVzCBwbEfcPrtb/OSW30C6YwqhFj89HScTjiEpAkqu/jYZzlIaPvsX" +
        "waajcWVc0xZQOOcu+oItVL/1G/qCrew8eG7yVJYn+NbXBT9YIvj+YkG2XbDPN/QkKtYbpNW/B5fnRjKcpYTbGwi31Q3tVEqE" +
        "opJdchVInVb/noRjSOpdAHvBdAA66vcnlCmYtRSA2qoNRMOdgDGwta/D+m1n5LLtRlrtmgQ/vAVW3x4/XI6GO6it2nCO7njo" +
        "aDBsyuy3MRGSIsCS7gCgNxhIKJOeU2wYVLfvnHYp4blNkt9uiH/weve1ifttrzV02XJKEsr0djUbNmZkJ1bEuLwNMnzis+lT" +
        "6AwPbU/2IHag15HUJEVAJGwEJ2mZroQyPf17NLt0XkKZf38ytG3zME+v7DJDV3e8/d+PtElGOjpSAJUUAcGmYwA4iq9MKNN4" +
        "8D0ASuffjznDEVfmhXck67dBoMv4rN8GL2yNP3eWjBxK5n8XgKZ+3fGQVTQHgNDpY8OOISkCBrxrQeUyhBL/BZNW3266Gg9h" +
        "sTupvHstaVmTh8hENcMf3PK48Xluk4z7SEzPLqRy+Vqstlw6Tx1I6N2FUCioXAZAi2/3sGNI6jHY29mIa/pC0h1TiPZ0EWo+" +
        "PlRIStpr9uIonYctp4T8ipsRJpVw6wn0C4jVAVSrjaJ59zJtyUNYbTmEW2s4tOVJ9GhfXPnJs28jb8YiejobOfHRS4xZIISU" +
        "9AUDuKbdSFZhJe21++JWafRYhMDR7Vgzc7HnecgqvIIpc+7E7ipHTctECAWkREodoaiY07LIcJbgLLuW4nn34rnpQbKKZqOY" +
        "VJqPbufI1mfRIj1xTbLneZix7BGEYsL74fP0tDcMO4SUJEPli35KwaylRHs6jWQoQT4AkFkwg5Krv0NW0dcSbpvzMVD9qdv7" +
        "j/irrB+23DKuuGsNanoWTQfexbdz3Yi6U5QOm/rT4XnoWgTfzj/TfPiDYX9jznCQM/VaMvOmYXe5Mac7zimKRns6CAX8hE4f" +
        "p7WmajCISgTX9IWU37Qak9lCR/1+Dm15CqnHRrY9VSUxYTLjXvDAYHR2+vD71FW9RiTclgr1CTHwVMivuBmApgPv4v/4pQsa" +
        "PIxBTTC/4hbKF/4YYTKjRSM0Vm/i1P6NRHuDqewGc1omhVcup2D2nZjMFnQtgn/ni5w+/P5F6RmTomiaYwql879Hrvt6EKK/" +
        "oHGQwLHttPr3JMzlR4JisuAonoNrxk04p16LUFSjKOr/hNqqv4+qKDomBAwgM89D8TUrcRRfOejwdC1CuLWWULOPYMBLb39Z" +
        "PNbbTaz/0EPtPyRRB8vixiFKRm7pYGFESp322s+o3/sGoYBv1DaOKQEDMGdkkVt+A67pC7HneYzH3iggpU7o9HECxz+ixbuL" +
        "aM/wjvFCMC4EnA2TJQN77pmjMYvdiZqWOTjrwOBqiPUGiZx9NNbiR4vEyZySgCgtnxnkq/Wm+NnoUoCL9xwTBYJTCnBxRykT" +
        "CVL6FWDLpbbjUkFINisq6ttAgnrshEYsqmibFJ/vQD1S/vVSWzPekPDSSa+3QQHQVLkGSG2s+uVGl4iJJ6C/ItRw7NhJ0Ffy" +
        "1dgKuhSsqq093Ahn/VGqs73Vm5Xj7BCIWxmplHv5QpfwcJ3vyCsDDUMGWuyZcbcixatA5riaNvbokpL76/xHNp/dOKQk09XW" +
        "etTldPxFoliBeVz+/yTVQb5KTFlRV3Nk3/k3h13qhR5PkYp5OZI7EHIqkiK+/GFzCEEDUvoRypYY0Y0nvd6EhcH/AxmAVDc0" +
        "JmgbAAAAAElFTkSuQmCC")

    private static func decode(_ base64: String) -> [UInt8] {
        Array(Data(base64Encoded: base64) ?? Data())
    }
}
