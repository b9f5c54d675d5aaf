"""face-verify: 1:1 face verification with liveness (人脸核验), on CPU, offline."""
