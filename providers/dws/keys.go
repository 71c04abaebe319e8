package dws

// Sandbox key pairs. They are fixed, published with the source and used ONLY
// by the kycdesk sandbox (the simulator) and by clients in sandbox mode.
// They protect nothing: never configure them for a live DWS client id.
//
// The client pair signs requests for the sandbox client id
// SandboxClientID; the simulator verifies with SandboxClientPublicKeyPEM.
// The platform pair stands in for DWS's own key: the simulator signs its
// responses with SandboxPlatformPrivateKeyPEM and a sandbox client verifies
// them with SandboxPlatformPublicKeyPEM, so response verification is
// exercised end to end in sandbox mode too.
//
// Generated once with:
//
//	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out client.pem
//	openssl pkey -in client.pem -pubout
//	(the same for the platform pair)

// SandboxClientID is the sandbox client id; the SANDBOX_ prefix selects the
// /ams/sandbox/api path, as the DWS/AMS SDKs do.
const SandboxClientID = "SANDBOX_KYCDESK0001"

// SandboxClientPrivateKeyPEM is the sandbox merchant private key (PKCS#8). Sandbox only.
const SandboxClientPrivateKeyPEM = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDex0s9ZJvkSL6M
iItXMVarMWYdgiR4aAITvo5xqStn9KNvf2r8OB+Ddagj4Hhq+u7qO0wjfEEkcLx+
p3bAMI8/yDilDjnt1BVYV5IOXAAqHgI9Om5wzltnRldmU6HZ77p5bZq8kbQ0qcQV
UT85osp0AIFWVJeIvLbqkSdUs5UcXgNx77aZUMfY1XL1ECrbF1GpM9qkO7bjVks7
7V2JfL/QnLUSDBifgfHrYb/NfKxM0g0yHD+tv4n/wkk28JJTNSgNPTfrGzTrXqIi
EMEkQGRpyhsa5BNTt5N9aQHncQRmqmg4jF8LjbelhjThRU3Kipa0U0YSQnPczXK4
KE9SEePfAgMBAAECggEACrdaeq8Kwq3vIJJ25XBVo3GCYHwAphwWsX1ym6wQDvWZ
IQVnj49hkLDJsEQddsPwVysYDALvnUGhB5SlpTQQx/gpJWNsTPDtP+0idPde+Ket
4uUbJ+j9Q5gCH0V5nSKnfSzVCyoVGY1rBb19RZf7lh3qGs2B5o1xXRIzaqMi0pTq
Kq29oXMvyNe7qye0M3MgiYmaUu4bkUKh3BfgGr/BpVAEfrUH//fbCwNewqJN9M5T
bEKdiLvZ2BbIRoJat4JnmqbnYLe0Wj5TAONGoJWTX0abUeDj4a00maN+HZ4/68WR
m9m2K+F82BS1brGapmEcIXDTuqHdenNfzZKYKrkJiQKBgQDwgDx4Ihv78R2eFZJU
JvXlVKpZiMBnelLYFq/kJQHqBvqNPYiSSbx1YrCSSREsFCwPbo1EJwnD+WDD+CCB
p8QS43G1i/uUYQGhaErvbI1c9B/4oSuh59dMJ64/yHLAXOBx57xHkCGbmnJNmhe2
94oLusWN1UhME24SNNEPmBHutwKBgQDtIqyujeCbqrDY0g/6vxEPs70z60BQjsxh
/ilHUbuQeSVG/qhA3ScNx8u1sshu3/1j6c2bzBwBOoEpN0psXJTYLGSUOhZSymEf
z2QrItVXikrfe3MILHz7itSPmjFXPdenrMB/ntsEkcCqtOyY0Kqq2ATqWGBX6m9k
+9E9lucMGQKBgQCOWtlwIoB9+JKXaB1dQlJ6lErhBFke5wDydztVx7ICXG8h+zJD
pPGwaeIqNKW9eZM67y0fEhxtq8bjOJPFKxCcPZSo6VrY0TKt35W7cn2ab8Yc3Ql+
pESEB1jU2ElUI6WWxpxjn6TE/f56gKNY4d0MZFlbQsuwfC/DBxBYMqMqsQKBgQCX
gd/yZpNq4dO7s/qhqhGshpoL4fJlhdbvhQO6nW3JEJ3QjkPRrXqWQ2DT5jZJILM0
ctz6/Z2m60o6myjhswUmWLaqPbKlksgbGtZU+Rx1odXUk3sbbdEspbbJSSrdIpX2
e1lCMKyebsE6T/4aZLemD/6T+4MSqKYjTwCQ6SkVgQKBgAJKwA+PT9FihItk+bPw
KZJ6VUs0d05oxiP1ieApWP3Tl/+WzJjb0OCMxxJTv+HveeWmiFXAogurH722IPv9
tD+9i/oowBjsCF5Ra8SE92LISEpX3nExM+EO+guBcFwfWf2mozqEn33Khtgwix/Y
w7uwGqzkBooxZfSObEchmj3G
-----END PRIVATE KEY-----
`

// SandboxClientPublicKeyPEM is the public half of SandboxClientPrivateKeyPEM. Sandbox only.
const SandboxClientPublicKeyPEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA3sdLPWSb5Ei+jIiLVzFW
qzFmHYIkeGgCE76OcakrZ/Sjb39q/Dgfg3WoI+B4avru6jtMI3xBJHC8fqd2wDCP
P8g4pQ457dQVWFeSDlwAKh4CPTpucM5bZ0ZXZlOh2e+6eW2avJG0NKnEFVE/OaLK
dACBVlSXiLy26pEnVLOVHF4Dce+2mVDH2NVy9RAq2xdRqTPapDu241ZLO+1diXy/
0Jy1EgwYn4Hx62G/zXysTNINMhw/rb+J/8JJNvCSUzUoDT036xs0616iIhDBJEBk
acobGuQTU7eTfWkB53EEZqpoOIxfC423pYY04UVNyoqWtFNGEkJz3M1yuChPUhHj
3wIDAQAB
-----END PUBLIC KEY-----
`

// SandboxPlatformPrivateKeyPEM is the simulator's stand-in for the DWS platform key (PKCS#8). Sandbox only.
const SandboxPlatformPrivateKeyPEM = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCtzz7283EbG2Q6
HYLBSTrXxBO1eAuK/mQy4YL6RTjx3je+YuJeq1gRcThcEnL8B6pPPus/FGMLKEIB
g/gUtNhs3C+L00jZQN4uRtWLLls51fOxNrlvVc55UnvZsTqYVxq2YvB8OUK4qr18
W4PmENdZGqZHJQrF0ApIvAMdHBsaMGrRpDs7UexUE43HdM+5ZBaw7sul9WvV+M2i
TpnJAJEojmw5AIX4tbHxEuwrqbfwPK+nMhbUKAaShPk963PVku5I6y8lEvseAX5r
7GLfUk4XGNvEx+Xx/zFs3Wb+qa9v1cu7FK3AUfgSn2ONxMlOU98OBUiaMTnuKuQ2
4Fx85hTNAgMBAAECggEAUnvXYD/AjgIuSuwlWNAFZk8NoWGSbMh0Sbc+vsGqGBKC
ts3bqty6wzBNdFhnDBchKlFsN7fXlvxocqqryTvXt7W4tK001bFUn3aLMe1yapyP
9SpIzz7T6TyNPQ7ABXrU2PhUM0fDU7rniMQvcLfOUuF0RrAcECs+Li1XdvGXJRJK
hVyzFUHBVSECWYPw/4YqldfQ3j8YDIoSJFioI2BfzxizFKhhjh0vGNXmq3CZHwbC
CUOQynZ6GE62J5Sjo9oJmRyxoy1XgxLqCzGId8hu18fts6SFX8QprpaZKlRzARyJ
IV91U7LDymds1XRIGwsGwPCRAmmJXxuanlPC2BhdSwKBgQDtnJT41hIVvsaudqeY
Hc8iia2Zvhe2a/FzCwgo7vgMnIqXpZlLf7moBGeW9Ub4e6MNwyUPtK0ZuAZffchD
EyokL+cwtGn1eCbNf+mNBWQMRwMgaleUz3wV6ReOKMZGt1egrUR6B3VS2yBWw923
k7mZ6sLu3BxB5ajjHhCOB/SxGwKBgQC7QqfU7RjVl6GIm98BKc9eeX0Jmw248KsO
kJ4rDTOvLzFPWBLcokHqQl0Iyr7ImFhAi51uD6EDo5UOLV/Qnr0DxZt5IUieIUSg
8ca+JrxsxO3zdcfZv5UCtU0fj9tn2g8akEzn6HyCmoK9Weeuliqf+gGeDHAIDtqu
KjabiUSYNwKBgG8lj4nWmR8S3l09o6fESeAeBtaj1PPACnGF94suPVmo4CuPiuWG
GZI+fTZgBZK2Qs9tOSjfmxksu85vR/4YON40ijB+NBJe4ce+zcDphKM5lHzVQaKa
a7DUF/CnohfyK0s9wYpTcs4PMlFjzZLRxz/4ULbqv00T4Kxco+HMVumBAoGBALp1
17osUEM2lhD57CczY5oV7IxpCVPyyNFa7TO/FIzGuBnif/2Tz4CcjhjYEPqav52d
p6fVBiYid6RDSBnqRhmAZZxKqQ1T4QtFU/k5hvvjZ3C6AcLvgkfNEbtwui8BsXJo
5zswgvJlOfOjlw9/1XewMHYYumE7sUIlJHThTR0nAoGBANdisQ4mCZ5LXofOyaht
f9ZqIDm+p6Cq361hNocv/TDpHktdT+kEcgB4MPlVCQleQPzuPheVSN5dVew173BG
4XNxfNcoSsfxTsPS7ee3ixdD8fKi7DZk11kqQYFT99KZub5KmyIebuCdGFWcHcfF
zcvBO79J2jB7V1FB4zFViyD+
-----END PRIVATE KEY-----
`

// SandboxPlatformPublicKeyPEM is the public half of SandboxPlatformPrivateKeyPEM. Sandbox only.
const SandboxPlatformPublicKeyPEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArc8+9vNxGxtkOh2CwUk6
18QTtXgLiv5kMuGC+kU48d43vmLiXqtYEXE4XBJy/AeqTz7rPxRjCyhCAYP4FLTY
bNwvi9NI2UDeLkbViy5bOdXzsTa5b1XOeVJ72bE6mFcatmLwfDlCuKq9fFuD5hDX
WRqmRyUKxdAKSLwDHRwbGjBq0aQ7O1HsVBONx3TPuWQWsO7LpfVr1fjNok6ZyQCR
KI5sOQCF+LWx8RLsK6m38DyvpzIW1CgGkoT5Petz1ZLuSOsvJRL7HgF+a+xi31JO
FxjbxMfl8f8xbN1m/qmvb9XLuxStwFH4Ep9jjcTJTlPfDgVImjE57irkNuBcfOYU
zQIDAQAB
-----END PUBLIC KEY-----
`
