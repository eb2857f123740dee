# Debian packages strait needs, in one place so the install script and the Dockerfile agree.
# Sourced by scripts/bootstrap.sh and by the Dockerfile.
# Build: headers the librdkafka binding is compiled against (CKJS_LINKING=dynamic), and the
# compiler toolchain node-gyp uses; openssl (the command) makes the secured test clusters' certificates.
STRAIT_BUILD_PACKAGES="zlib1g-dev libssl-dev libzstd-dev libcurl4-openssl-dev liblz4-dev libsasl2-dev python3 make g++ openssl"
# Runtime: the shared libraries the built binding links against.
STRAIT_RUNTIME_PACKAGES="zlib1g libssl3 libsasl2-2 libzstd1 liblz4-1 libcurl4"
