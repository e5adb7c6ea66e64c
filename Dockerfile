# syntax=docker/dockerfile:1
# The receiver's image: built from source with the Maven wrapper, run on a JRE as a non-root user.
#   docker build -t oms-receiver .
# The Kubernetes manifests (k8s/) run it with a read-only root filesystem and an emptyDir at /tmp.

FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
# The Maven repository is a BuildKit cache, so rebuilds do not download every dependency again.
# The image takes the production jar (oms-receiver-image.jar): no ISO stand-in, no embedded Postgres.
RUN --mount=type=cache,target=/root/.m2 chmod +x mvnw && ./mvnw -q -B -ntp -DskipTests package \
 && cp receiver/target/oms-receiver-image.jar /oms-receiver.jar

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 oms \
 && useradd --system --uid 10001 --gid oms --home-dir /app --shell /usr/sbin/nologin oms
WORKDIR /app
COPY --from=build --chown=root:root --chmod=0444 /oms-receiver.jar /app/oms-receiver.jar
USER 10001:10001
# push (TLS, mutual), ops (/health/live, /health/ready, /metrics), admin API and payload links
EXPOSE 8443 9090 8081 8444
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError"
ENTRYPOINT ["java", "-jar", "/app/oms-receiver.jar"]
CMD ["serve"]
