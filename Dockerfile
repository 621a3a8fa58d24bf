# memreplay in a container, for batch engines (README: "Running a sweep on a cluster"). The checkout
# at /app, installed as the README's quick start does: `npm ci` (the lock file's versions) builds the
# CLI into dist/ (package.json's prepare script). `sweep --emit k8s` writes a Job that runs this image
# with workingDir /app and the outputs on a volume at /shared.
#
#   docker build -t memreplay:latest .
#   docker run --rm -v "$PWD/reports:/shared" memreplay:latest npm run --silent sweep -- examples/sweep-buffer.json --out /shared/sweep-buffer
FROM node:20-bookworm-slim
WORKDIR /app
# Dependencies first, so editing the sources does not reinstall them; scripts wait for the sources.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
# The install's scripts (the build, and packages' own) now that the sources are here.
RUN npm rebuild && npm run --if-present prepare
CMD ["npm", "run", "--silent", "sweep", "--", "--help"]
