# The service image for docker-compose.yml. Build the jar first: mvn -B -DskipTests package
FROM eclipse-temurin:17-jre
WORKDIR /app
COPY web/target/relay-web-*-exec.jar /app/relay.jar
EXPOSE 8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/relay.jar"]
