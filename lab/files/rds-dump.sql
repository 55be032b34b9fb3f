-- Fixture: what `mysqldump --single-transaction --routines --events
-- --databases homepage` of the old development RDS looks like, with known rows.
CREATE DATABASE /*!32312 IF NOT EXISTS*/ `homepage` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;
USE `homepage`;
DROP TABLE IF EXISTS `legacy_members`;
CREATE TABLE `legacy_members` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(100) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
LOCK TABLES `legacy_members` WRITE;
INSERT INTO `legacy_members` VALUES (1,'Ada'),(2,'Grace'),(3,'Linus');
UNLOCK TABLES;
